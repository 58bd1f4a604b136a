import type { Pool } from 'pg';
import { ProjectionWatermark } from '@parley/projections';
import { createTestWorld, testPool, type TestWorld } from '@parley/testing';

describe('ProjectionWatermark (a reader waits for a projection to reach an offset)', () => {
  let world: TestWorld;
  let pool: Pool;
  const setPosition = (partition: number, nextOffset: number) =>
    pool.query(
      `INSERT INTO consumer_positions (projection, topic, partition, next_offset) VALUES ('p', 't', $1, $2)
       ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
      [partition, nextOffset],
    );

  beforeAll(async () => {
    world = await createTestWorld('watermark', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
  });

  afterAll(async () => {
    await pool.end();
    await world.dispose();
  });

  it('given the projection applied up to offset 10, when asked for 10 then at once, and for 11 not', async () => {
    await setPosition(0, 11); // next offset 11: records 0..10 applied
    const watermark = new ProjectionWatermark(pool, 'p', { timeoutMs: 200 });
    expect(await watermark.reached('t', 0, 10n)).toBe(true);
    expect(await watermark.reached('t', 0, 11n)).toBe(false);
    expect(await watermark.reached('t', 1, 0n)).toBe(false); // a partition it never applied
  });

  it('given the projection behind, when it catches up during the wait then the wait ends', async () => {
    await setPosition(2, 5);
    const watermark = new ProjectionWatermark(pool, 'p', { timeoutMs: 5_000, pollMs: 10 });
    const started = Date.now();
    const waiting = watermark.reached('t', 2, 7n);
    setTimeout(() => void setPosition(2, 8), 150);
    expect(await waiting).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('given a wait that timed out (a stopped projector), then the next one on that partition does not wait, until it moves again', async () => {
    await setPosition(3, 1);
    const watermark = new ProjectionWatermark(pool, 'p', { timeoutMs: 300, pollMs: 10 });
    let started = Date.now();
    expect(await watermark.reached('t', 3, 5n)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    started = Date.now();
    expect(await watermark.reached('t', 3, 6n)).toBe(false);
    expect(Date.now() - started).toBeLessThan(150);
    // It moves: waits are waited again.
    await setPosition(3, 4);
    expect(await watermark.reached('t', 3, 2n)).toBe(true);
    const waiting = watermark.reached('t', 3, 9n);
    setTimeout(() => void setPosition(3, 10), 100);
    expect(await waiting).toBe(true);
  });
});
