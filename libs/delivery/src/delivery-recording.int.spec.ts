// An ACK's MessageDelivered survives a failure between the mark and the publish: the row stays
// marked, the delivery worker's catch-up publishes the event, and the TTL never fails the message.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { EVENT_TOPIC, EventSerde, type ParleyEvent } from '@parley/events';
import { BatchingProducer, KafkaAdmin, readTopic } from '@parley/kafka';
import { EventPublisher } from '@parley/publishing';
import { testPool, createTestWorld, waitFor, type TestWorld } from '@parley/testing';
import { DeliveryJobs } from './delivery-jobs';
import { specPresence } from './spec-presence';
import { DeliveryReceipts } from './delivery-receipts';
import { InboxStore } from './inbox-store';

/** The real publisher, failing its first `failures` calls as Kafka would when unavailable. */
class FlakyPublisher extends EventPublisher {
  failures = 1;
  override async publish(events: readonly ParleyEvent[]): Promise<void> {
    if (this.failures-- > 0) throw new Error('Kafka unavailable (injected)');
    return super.publish(events);
  }
}

/** The real publisher, noting how many events each of its produces carried. */
class CountingPublisher extends EventPublisher {
  readonly produces: number[] = [];
  override async publish(events: readonly ParleyEvent[]): Promise<void> {
    this.produces.push(events.length);
    return super.publish(events);
  }
}

describe('MessageDelivered after a failure between the mark and the publish', () => {
  let world: TestWorld;
  let pool: Pool;
  let producer: BatchingProducer;
  let serde: EventSerde;
  let redis: Redis;

  beforeAll(async () => {
    world = await createTestWorld('delivery-recording', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    redis = new Redis(world.env.redisUrl);
  });

  afterAll(async () => {
    redis.disconnect();
    await producer.disconnect();
    await pool.end();
    await world.dispose();
  });

  /** A pool whose statements' names (or texts) are listed in `statements`, in the order sent. */
  const listing = (statements: string[]): Pool =>
    new Proxy(pool, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return (...args: unknown[]) => {
          const [sent] = args;
          statements.push(typeof sent === 'string' ? sent : ((sent as { name?: string }).name ?? ''));
          const query = target.query.bind(target) as (...queryArgs: unknown[]) => unknown;
          return query(...args);
        };
      },
    });

  /** The deliveries of `userId` waiting to be recorded: position → delivered_at. */
  const unrecorded = async (userId: string): Promise<[string, number][]> =>
    (
      await pool.query<{ position: string; delivered_at: Date }>(
        'SELECT position, delivered_at FROM inbox_deliveries_unrecorded WHERE user_id = $1 ORDER BY position',
        [userId],
      )
    ).rows.map((r) => [r.position, r.delivered_at.getTime()]);

  /** `count` messages of one conversation in the inbox of `userId`, at positions 1..count; their ids. */
  const messagesInInbox = async (userId: string, count: number): Promise<string[]> => {
    const conversationId = `c-${randomUUID()}`;
    const messageIds: string[] = [];
    for (let position = 1; position <= count; position++) {
      const body = {
        kind: 'message',
        messageId: randomUUID(),
        conversationId,
        senderId: 'sender-1',
        seq: position,
        text: 'hello',
        sentAt: new Date().toISOString(),
      };
      await pool.query(
        `INSERT INTO inbox_items (user_id, position, kind, message_id, conversation_id, body, created_at)
         VALUES ($1, $2, 'message', $3, $4, $5, now())`,
        [userId, position, body.messageId, conversationId, body],
      );
      messageIds.push(body.messageId);
    }
    return messageIds;
  };

  /** Every event on the messages topic so far. */
  const messageEvents = async (): Promise<ParleyEvent[]> => {
    const topic = world.topic(EVENT_TOPIC.MessageDelivered);
    const admin = new KafkaAdmin(world.kafka);
    await admin.connect();
    const total = (await admin.topicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    await admin.disconnect();
    const records = await readTopic(world.kafka, topic, (r) => r.length >= total);
    return Promise.all(records.map((r) => serde.decode(r.value as Buffer)));
  };

  it('given two ACKs 50 ms apart, then one produce publishes both and one statement records both once drained and the catch-up leaves them meanwhile; other deliveries stay noted, a later ACK notes nothing', async () => {
    const userId = `u-${randomUUID()}`;
    const messageIds = await messagesInInbox(userId, 2);
    // Another delivery of the same user, noted and not recorded (its gateway is publishing it)
    await pool.query(
      `INSERT INTO inbox_deliveries_unrecorded (user_id, position, delivered_at) VALUES ($1, 3, now())`,
      [userId],
    );
    const statements: string[] = [];
    const publisher = new EventPublisher(producer, serde, world.prefix);
    const receiptsPublisher = new CountingPublisher(producer, serde, world.prefix);
    const receipts = new DeliveryReceipts({
      store: new InboxStore(listing(statements)),
      publisher: receiptsPublisher,
      // Long enough for the second ACK's mark (and publish) on a loaded machine.
      deliveredLingerMs: 1_000,
      recordedMarksLingerMs: 2_000,
    });
    // and the delivery worker's jobs running meanwhile, with the catch-up's usual delay
    const jobs = new DeliveryJobs({
      pool,
      publisher,
      presence: specPresence(redis, world.prefix, publisher),
      ttlMs: 60_000,
      intervalMs: 100,
    });
    jobs.start();
    try {
      receipts.acknowledged(userId, 'phone', [1]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      receipts.acknowledged(userId, 'laptop', [2]);
      await waitFor(async () => (await unrecorded(userId)).length === 3, {
        what: 'both marks noted as unrecorded',
      });
      // (drained gives up silently after its timeout: the lingers above take 3 s)
      await receipts.drained(20_000);
      // A device ACKing an item another device ACKed already: nothing more to record
      receipts.acknowledged(userId, 'laptop', [1]);
      await receipts.drained(20_000);
    } finally {
      await jobs.stop();
    }
    const { rows } = await pool.query<{ position: string; delivered_device_id: string }>(
      `SELECT position, delivered_device_id FROM inbox_items
        WHERE user_id = $1 AND delivered_at IS NOT NULL ORDER BY position`,
      [userId],
    );
    expect(rows.map((r) => [r.position, r.delivered_device_id])).toEqual([
      ['1', 'phone'],
      ['2', 'laptop'],
    ]);
    expect((await unrecorded(userId)).map(([position]) => position)).toEqual(['3']);
    // One produce for both: the events waited for each other
    expect(receiptsPublisher.produces).toEqual([2]);
    // and one statement records both: the marks waited for each other.
    expect(statements.filter((name) => name === 'inbox_deliveries_recorded')).toHaveLength(1);
    // and one MessageDelivered each: the catch-up published nothing of what was being recorded
    const events = (await messageEvents()).filter(
      (e) => 'messageId' in e && messageIds.includes(e.messageId),
    );
    expect(events.map((e) => [e.type, 'deviceId' in e ? e.deviceId : ''])).toEqual([
      ['MessageDelivered', 'phone'],
      ['MessageDelivered', 'laptop'],
    ]);
  });

  it('given a latency observer that throws, then every delivery of the batch is still recorded', async () => {
    const userId = `u-${randomUUID()}`;
    await messagesInInbox(userId, 2);
    const observed: number[] = [];
    const receipts = new DeliveryReceipts({
      store: new InboxStore(pool),
      publisher: new EventPublisher(producer, serde, world.prefix),
      // as a metric does when given a value it refuses
      onDelivered: (ms) => {
        observed.push(ms);
        throw new Error('refused (injected)');
      },
    });

    receipts.acknowledged(userId, 'phone', [1, 2]);
    await receipts.drained(20_000);

    expect(observed).toHaveLength(2);
    expect(await unrecorded(userId)).toEqual([]);
  });

  it('given an ACK whose MessageDelivered publish fails, then the catch-up records it, once past the TTL no MessageFailed follows', async () => {
    const userId = `u-${randomUUID()}`;
    const messageId = randomUUID();
    const conversationId = `c-${randomUUID()}`;
    const body = {
      kind: 'message',
      messageId,
      conversationId,
      senderId: 'sender-1',
      seq: 1,
      text: 'hello',
      sentAt: new Date(Date.now() - 7_200_000).toISOString(),
    };
    // Two hours old: past the one-second TTL the jobs below run with.
    await pool.query(
      `INSERT INTO inbox_items (user_id, position, kind, message_id, conversation_id, body, created_at)
       VALUES ($1, 1, 'message', $2, $3, $4, now() - interval '2 hours')`,
      [userId, messageId, conversationId, body],
    );
    const flaky = new FlakyPublisher(producer, serde, world.prefix);
    const receipts = new DeliveryReceipts({ store: new InboxStore(pool), publisher: flaky });

    receipts.acknowledged(userId, 'phone', [1]);
    await receipts.drained();
    const row = async () =>
      (
        await pool.query<{
          delivered_at: Date | null;
          delivered_device_id: string | null;
          failed_at: Date | null;
        }>('SELECT * FROM inbox_items WHERE user_id = $1 AND position = 1', [userId])
      ).rows[0];
    // The state a crash between the mark and the publish leaves: marked, not recorded.
    expect(flaky.failures).toBe(0); // the one publish was tried, and failed
    expect(await row()).toMatchObject({ delivered_device_id: 'phone' });
    const deliveredAt = (await row())?.delivered_at;
    expect(deliveredAt).toBeInstanceOf(Date);
    expect(await unrecorded(userId)).toEqual([['1', deliveredAt?.getTime()]]);
    // and a delivery noted for an item the inbox retention has trimmed since: nothing to publish
    const trimmed = `u-${randomUUID()}`;
    await pool.query(
      `INSERT INTO inbox_deliveries_unrecorded (user_id, position, delivered_at)
       VALUES ($1, 1, now() - interval '1 hour')`,
      [trimmed],
    );

    const publisher = new EventPublisher(producer, serde, world.prefix);
    const jobs = new DeliveryJobs({
      pool,
      publisher,
      presence: specPresence(redis, world.prefix, publisher),
      ttlMs: 1_000,
      intervalMs: 100,
      deliveredCatchUpAfterMs: 0,
      vacuumIntervalMs: 200,
    });
    const vacuums = async () =>
      Number(
        (
          await pool.query<{ n: string }>(
            `SELECT vacuum_count AS n FROM pg_stat_user_tables WHERE relname = 'inbox_deliveries_unrecorded'`,
          )
        ).rows[0]?.n,
      );
    const vacuumsBefore = await vacuums();
    jobs.start();
    try {
      await waitFor(async () => (await unrecorded(userId)).length === 0, { what: 'the catch-up records it' });
      await waitFor(async () => (await vacuums()) >= vacuumsBefore + 2, {
        what: 'the worker vacuums the side table, again and again',
      });
      // The expiry runs on every tick after the catch-up: let several pass over the two-hour-old row.
      const recordedAt = Date.now();
      await waitFor(() => Date.now() - recordedAt > 1_000, { intervalMs: 100 });
    } finally {
      await jobs.stop();
    }
    expect((await row())?.failed_at).toBeNull();
    const events = (await messageEvents()).filter((e) => 'messageId' in e && e.messageId === messageId);
    expect(events.map((e) => e.type)).toEqual(['MessageDelivered']);
    expect(events[0]).toMatchObject({
      recipientId: userId,
      deviceId: 'phone',
      seq: 1,
      occurredAt: deliveredAt?.getTime(),
    });
    expect(await unrecorded(trimmed)).toEqual([]);
  });
  it('given an ACK that marks its item and moves its device position in the same turn, then one statement writes both; a position saved alone has a statement of its own', async () => {
    // Given an item in a user's inbox, and a store whose statements are listed by name
    const userId = `u-${randomUUID()}`;
    const messageId = randomUUID();
    const body = {
      kind: 'message',
      messageId,
      conversationId: `c-${randomUUID()}`,
      senderId: 'sender-1',
      seq: 1,
      text: 'hello',
      sentAt: new Date().toISOString(),
    };
    await pool.query(
      `INSERT INTO inbox_items (user_id, position, kind, message_id, conversation_id, body, created_at)
       VALUES ($1, 1, 'message', $2, $3, $4, now())`,
      [userId, messageId, body.conversationId, body],
    );
    const statements: string[] = [];
    const store = new InboxStore(listing(statements));
    const receipts = new DeliveryReceipts({
      store,
      publisher: new EventPublisher(producer, serde, world.prefix),
    });

    // When the device ACKs it: the mark and the position in one turn, as DeviceFeed does
    receipts.acknowledged(userId, 'phone', [1]);
    const saved = store.saveAcked(userId, 'phone', 1);
    await saved;
    await receipts.drained(30_000);
    // and later another device's position alone
    await store.saveAcked(userId, 'laptop', 1);

    // Then the first statement wrote both, the second only the position
    const named = statements.filter((name) => name.startsWith('inbox_') || name.startsWith('device_'));
    expect(named).toEqual([
      'inbox_items_mark_delivered_saving_positions',
      'inbox_deliveries_recorded',
      'device_positions_save',
    ]);
    const { rows } = await pool.query<{ device_id: string; acked_position: string }>(
      'SELECT device_id, acked_position FROM device_positions WHERE user_id = $1 ORDER BY device_id',
      [userId],
    );
    expect(rows).toEqual([
      { device_id: 'laptop', acked_position: '1' },
      { device_id: 'phone', acked_position: '1' },
    ]);
    const item = await pool.query(
      'SELECT 1 FROM inbox_items WHERE user_id = $1 AND delivered_at IS NOT NULL',
      [userId],
    );
    expect(item.rowCount).toBe(1);
  });
});
