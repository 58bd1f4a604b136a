// The delivered mark against a real PostgreSQL: a whole backlog of ACKs (a busy recipient catching
// up) in one statement marks each item once, with the device that ACKed it.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { testPool, createTestWorld, waitForLockWaits, type TestWorld } from '@parley/testing';
import { InboxStore } from './inbox-store';

describe('InboxStore.markDelivered', () => {
  let world: TestWorld;
  let pool: Pool;

  beforeAll(async () => {
    world = await createTestWorld('inbox-store', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
  });

  afterAll(async () => {
    await pool.end();
    await world.dispose();
  });

  /** `count` message items in the user's inbox, at positions 1..count. */
  async function fillInbox(userId: string, count: number): Promise<void> {
    await pool.query(
      `INSERT INTO inbox_items (user_id, position, kind, message_id, conversation_id, body, created_at)
       SELECT $1, p, 'message', gen_random_uuid()::text, 'c-1', jsonb_build_object('seq', p), now()
         FROM generate_series(1, $2::int) p`,
      [userId, count],
    );
  }

  it('given 2,000 undelivered items, when one statement carries ACKs of two devices for all of them (some twice), then each is marked once with the device that ACKed it and returned once', async () => {
    const userId = `u-${randomUUID()}`;
    await fillInbox(userId, 2_000);
    const store = new InboxStore(pool);
    const positions = Array.from({ length: 2_000 }, (_, i) => i + 1);
    // Odd items ACKed by the phone, even ones by the laptop; the laptop also ACKs the first ten odd
    // ones (either device may be the one recorded for those: both ACKed them).
    const acks = [
      ...positions.map((position) => ({ userId, position, deviceId: position % 2 ? 'phone' : 'laptop' })),
      ...positions
        .filter((p) => p % 2 === 1 && p < 20)
        .map((position) => ({ userId, position, deviceId: 'laptop' })),
    ];

    const marked = await store.markDelivered(acks);

    expect(marked.map((item) => item.position).sort((a, b) => a - b)).toEqual(positions);
    expect(marked.every((item) => item.userId === userId)).toBe(true);
    const { rows } = await pool.query<{ position: string; delivered_device_id: string | null }>(
      `SELECT position, delivered_device_id FROM inbox_items WHERE user_id = $1 ORDER BY position`,
      [userId],
    );
    const ackedBy = (position: number): string[] =>
      acks.filter((ack) => ack.position === position).map((ack) => ack.deviceId);
    expect(
      rows.filter((row) => !ackedBy(Number(row.position)).includes(row.delivered_device_id ?? 'none')),
    ).toEqual([]);
    expect(
      rows.filter((row) => Number(row.position) > 20 && row.delivered_device_id === 'laptop'),
    ).toHaveLength(1_000 - 10);
    // Marked already: ACKed again by anybody, nothing is returned (MessageDelivered goes out once).
    expect(
      await store.markDelivered(acks.slice(0, 500).map((ack) => ({ ...ack, deviceId: 'tablet' }))),
    ).toEqual([]);
  });

  it('given two gateways marking the same items at once, then each item is returned by exactly one of them (MessageDelivered once)', async () => {
    const userId = `u-${randomUUID()}`;
    await fillInbox(userId, 50);
    const other = testPool({ connectionString: world.databaseUrl });
    const blocker = await pool.connect();
    try {
      // Holds the rows, so that both marks are waiting for them when it lets go.
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM inbox_items WHERE user_id = $1 FOR UPDATE', [userId]);
      const positions = Array.from({ length: 50 }, (_, i) => i + 1);
      const marking = [
        new InboxStore(pool).markDelivered(
          positions.map((position) => ({ userId, position, deviceId: 'phone' })),
        ),
        new InboxStore(other).markDelivered(
          positions.map((position) => ({ userId, position, deviceId: 'laptop' })),
        ),
      ];
      // Both wait for the rows (not one after the other), so each finds rows the other may change.
      await waitForLockWaits(pool, 'WITH q AS', 2);
      await blocker.query('COMMIT');
      const [first, second] = await Promise.all(marking);

      const returned = [...first!, ...second!].map((item) => item.position).sort((a, b) => a - b);
      expect(returned).toEqual(positions);
    } finally {
      blocker.release();
      await other.end();
    }
  });
});
