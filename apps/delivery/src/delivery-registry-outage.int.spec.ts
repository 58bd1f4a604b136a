import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { startDeliveryWorker, type DeliveryWorker } from '@parley/delivery';
import { EVENT_TOPIC, EventSerde, type ParleyEvent } from '@parley/events';
import { BatchingProducer, KafkaAdmin } from '@parley/kafka';
import { ServiceMetrics } from '@parley/observability';
import { dropDatabase } from '@parley/postgres';
import { ProjectionRunner } from '@parley/projections';
import { conversationsProjection } from '@parley/read-models';
import { startRegistryServer, type RunningRegistry } from '@parley/schema-registry';
import {
  testPool,
  createTestWorld,
  databaseUrlFor,
  randomName,
  waitFor,
  type TestWorld,
} from '@parley/testing';
import { deadLetterTopicOf } from '@parley/topics';

/**
 * The delivery worker's consumers meet a schema registry that refuses connections: the records wait
 * (retried as transient, counted in parley_consumer_retries_total) instead of being dead-lettered
 * after the five attempts an unknown error gets, and are delivered once the registry is back.
 */
describe('delivery worker: the schema registry away and back', () => {
  let world: TestWorld;
  let registryDb: string;
  let registry: RunningRegistry | undefined;
  let writer: EventSerde;
  let producer: BatchingProducer;
  let pool: Pool;
  let redis: Redis;
  let admin: KafkaAdmin;
  let conversations: ProjectionRunner;
  let worker: DeliveryWorker | undefined;

  const produce = async (events: ParleyEvent[]) =>
    producer.send(
      await Promise.all(
        events.map(async (e) => ({
          topic: world.topic(EVENT_TOPIC[e.type]),
          key: 'conversationId' in e ? e.conversationId : e.userId,
          value: await writer.encode(e),
        })),
      ),
    );

  beforeAll(async () => {
    world = await createTestWorld('regout', { database: true });
    // A registry of our own (own database), so it can be stopped without disturbing anyone.
    registryDb = databaseUrlFor(world.env.databaseUrl, randomName('t_regout_registry').toLowerCase());
    registry = await startRegistryServer({ databaseUrl: registryDb, port: 0 });
    // The writer registers every schema, so its client has them all cached: it encodes (and the
    // conversations projection decodes) without the registry.
    writer = new EventSerde(registry.url);
    await writer.registerAll();
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    pool = testPool({ connectionString: world.databaseUrl });
    redis = new Redis(world.env.redisUrl, { maxRetriesPerRequest: 1 });
    admin = new KafkaAdmin(world.kafka);
    await admin.connect();
    conversations = new ProjectionRunner({
      kafka: world.kafka,
      pool,
      serde: writer,
      deadLetters: producer,
      projection: conversationsProjection,
      topicPrefix: world.prefix,
    });
    await conversations.start();
  });

  afterAll(async () => {
    await worker?.stop();
    await conversations.stop();
    await admin.disconnect();
    await producer.disconnect();
    redis.disconnect();
    await pool.end();
    await registry?.close();
    await dropDatabase(registryDb);
    await world.dispose();
  });

  it(
    'retries decoding while the registry is down, dead-letters nothing, and delivers once it is back',
    async () => {
      const bob = `bob-${randomUUID()}`;
      const conversationId = `regout-${randomUUID()}`;
      await produce([
        {
          type: 'ConversationCreated',
          eventId: randomUUID(),
          occurredAt: Date.now(),
          conversationId,
          kind: 'GROUP',
          title: 'registry outage',
          createdBy: 'alice',
          memberIds: ['alice', bob],
        },
      ]);
      await waitFor(
        async () =>
          (await pool.query('SELECT 1 FROM conversation_members WHERE user_id = $1', [bob])).rowCount === 1,
        { what: 'bob to be a member' },
      );

      const { port, url } = registry as RunningRegistry;
      await (registry as RunningRegistry).close();
      registry = undefined;
      // A fresh serde has seen no schema: decoding needs the registry, which now refuses connections.
      const serde = new EventSerde(url);
      const metrics = new ServiceMetrics('delivery');
      worker = await startDeliveryWorker({
        kafka: world.kafka,
        pool,
        redis,
        producer,
        serde,
        topicPrefix: world.prefix,
        redisKeyPrefix: world.prefix,
        presence: { sessionTtlMs: 30_000, offlineGraceMs: 1_000 },
        ttlMs: 600_000,
        instrument: metrics.kafkaInstrument,
      });
      await produce([
        {
          type: 'MessageSent',
          eventId: randomUUID(),
          occurredAt: Date.now(),
          messageId: `${conversationId}-m1`,
          conversationId,
          senderId: 'alice',
          recipientId: null,
          replyToMessageId: null,
          text: 'sent while the registry is away',
        },
      ]);

      const inboxGroup = `${world.prefix}parley.projection.inboxes`;
      const transientRetries = async () => {
        const text = await metrics.text();
        const line = text
          .split('\n')
          .find(
            (l) =>
              l.startsWith('parley_consumer_retries_total{') &&
              l.includes(`group="${inboxGroup}"`) &&
              l.includes('verdict="transient"'),
          );
        return line ? Number(line.split(' ').pop()) : 0;
      };
      // Past the five attempts an unknown error gets (backoff 0.1 s doubling, each lookup retried by
      // the registry client): had the failure counted as unknown, the record would be dead-lettered now.
      await waitFor(async () => (await transientRetries()) >= 6, {
        what: 'six transient retries of the inbox projection',
        timeoutMs: 60_000,
      });
      const inbox = async () =>
        (await pool.query('SELECT message_id FROM inbox_items WHERE user_id = $1', [bob])).rows.map(
          (r: { message_id: string }) => r.message_id,
        );
      expect(await inbox()).toEqual([]);

      registry = await startRegistryServer({ databaseUrl: registryDb, port });
      await waitFor(async () => (await inbox()).length === 1, {
        what: 'the message in bob’s inbox once the registry is back',
        timeoutMs: 60_000,
      });
      expect(await inbox()).toEqual([`${conversationId}-m1`]);
      expect(await metrics.text()).not.toMatch(/parley_consumer_retries_total\{[^}]*verdict="unknown"/);
      const dlq = await admin.topicOffsets(deadLetterTopicOf(world.topic('chat.messages')));
      expect(dlq.map((p) => p.high)).toEqual(dlq.map(() => '0'));
    },
    150_000 /* the registry's outage lasts ~15 s of backoff; the loaded machine may slow it */,
  );
});
