// Inbox retention against a real PostgreSQL: the delivery worker's jobs delete the items older than
// the retention and keep the rest.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { EventSerde } from '@parley/events';
import type { Logger } from '@parley/logging';
import { BatchingProducer } from '@parley/kafka';
import { EventPublisher } from '@parley/publishing';
import { testPool, createTestWorld, waitFor, type TestWorld } from '@parley/testing';
import { DeliveryJobs } from './delivery-jobs';
import { specPresence } from './spec-presence';

const HOUR_MS = 3_600_000;

describe('inbox retention', () => {
  let world: TestWorld;
  let pool: Pool;
  let producer: BatchingProducer;
  let redis: Redis;

  beforeAll(async () => {
    world = await createTestWorld('delivery-retention', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    redis = new Redis(world.env.redisUrl);
  });

  afterAll(async () => {
    redis.disconnect();
    await producer.disconnect();
    await pool.end();
    await world.dispose();
  });

  it('given items from two hours ago and from now, when the jobs run with a one-hour retention, then only the old ones go', async () => {
    const userId = `u-${randomUUID()}`;
    // Positions 1..6 two hours old (delivered and recorded: nothing else to do for them), 7..9 fifty
    // minutes old, near the retention but within it.
    await pool.query(
      `INSERT INTO inbox_items (user_id, position, kind, message_id, conversation_id, body, created_at,
                                delivered_at)
       SELECT $1, p, 'message', gen_random_uuid()::text, 'c-1', jsonb_build_object('seq', p),
              CASE WHEN p <= 6 THEN now() - interval '2 hours' + p * interval '1 second' ELSE now() - interval '50 minutes' END,
              now()
         FROM generate_series(1, 9) p`,
      [userId],
    );
    const warn = jest.fn();
    const serde = new EventSerde(world.env.schemaRegistryUrl);
    const publisher = new EventPublisher(producer, serde, world.prefix);
    const jobs = new DeliveryJobs({
      pool,
      publisher,
      presence: specPresence(redis, world.prefix, publisher),
      ttlMs: 24 * HOUR_MS,
      retentionMs: HOUR_MS,
      intervalMs: 100,
      // A tick that fails is logged and retried: here it must not happen.
      logger: { warn, info: () => undefined } as unknown as Logger,
    });
    const positions = async () =>
      (
        await pool.query<{ position: string }>(
          'SELECT position FROM inbox_items WHERE user_id = $1 ORDER BY position',
          [userId],
        )
      ).rows.map((row) => Number(row.position));

    jobs.start();
    try {
      await waitFor(async () => (await positions()).length < 9, {
        what: 'the retention to run',
        timeoutMs: 10_000,
      });
      // Several more ticks: what is kept stays.
      const firstTrim = Date.now();
      await waitFor(() => Date.now() - firstTrim > 500, { intervalMs: 100 });
    } finally {
      await jobs.stop();
    }
    expect(await positions()).toEqual([7, 8, 9]);
    expect(warn).not.toHaveBeenCalled();
  });
});
