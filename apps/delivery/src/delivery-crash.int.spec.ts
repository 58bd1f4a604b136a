import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Pool } from 'pg';
import { EVENT_TOPIC, EventSerde, type ParleyEvent } from '@parley/events';
import { BatchingProducer } from '@parley/kafka';
import { ProjectionRunner } from '@parley/projections';
import { inboxProjection } from '@parley/delivery';
import { conversationsProjection } from '@parley/read-models';
import { testPool, createTestWorld, waitFor, type TestWorld } from '@parley/testing';

const CONVERSATIONS = 5;
const PER_CONVERSATION = 400;

describe('delivery workers: kill -9 mid-stream, and two side by side', () => {
  let world: TestWorld;
  let serde: EventSerde;
  let producer: BatchingProducer;
  let pool: Pool;
  let conversations: ProjectionRunner;
  let worker: ChildProcess | undefined;

  const produce = async (events: ParleyEvent[]) =>
    producer.send(
      await Promise.all(
        events.map(async (e) => ({
          topic: world.topic(EVENT_TOPIC[e.type]),
          key: 'conversationId' in e ? e.conversationId : e.userId,
          value: await serde.encode(e),
        })),
      ),
    );

  const startWorker = (): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'main.ts')], {
      env: {
        ...process.env,
        TOPIC_PREFIX: world.prefix,
        REDIS_KEY_PREFIX: world.prefix,
        DATABASE_URL: world.databaseUrl,
        KAFKA_BROKERS: world.env.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: world.env.schemaRegistryUrl,
        REDIS_URL: world.env.redisUrl,
        DELIVERY_PORT: '0',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });

  const inboxSize = async (userId: string) =>
    Number(
      (await pool.query('SELECT count(*) AS n FROM inbox_items WHERE user_id = $1', [userId])).rows[0].n,
    );

  beforeAll(async () => {
    world = await createTestWorld('delivery', { database: true });
    serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    pool = testPool({ connectionString: world.databaseUrl });
    conversations = new ProjectionRunner({
      kafka: world.kafka,
      pool,
      serde,
      deadLetters: producer,
      projection: conversationsProjection,
      topicPrefix: world.prefix,
    });
    await conversations.start();
  });

  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await conversations.stop();
    await producer.disconnect();
    await pool.end();
    await world.dispose();
  });

  /** Conversations of `bob` with 5 senders, projected, and their messages on the topic. */
  const scenario = async (bob: string, conversations = CONVERSATIONS, perConversation = PER_CONVERSATION) => {
    const at = () => ({ eventId: randomUUID(), occurredAt: Date.now() - 60_000 });
    const conversationIds = Array.from({ length: conversations }, (_, c) => `crash-c${c}-${randomUUID()}`);
    await produce(
      conversationIds.map((conversationId, c) => ({
        type: 'ConversationCreated',
        ...at(),
        conversationId,
        kind: 'GROUP',
        title: `group ${c}`,
        createdBy: `sender-${c}`,
        memberIds: [`sender-${c}`, bob],
      })),
    );
    await waitFor(async () => {
      const { rows } = await pool.query('SELECT count(*) AS n FROM conversation_members WHERE user_id = $1', [
        bob,
      ]);
      return Number(rows[0].n) === conversations;
    });
    const messages: ParleyEvent[] = [];
    for (let i = 0; i < perConversation; i++)
      conversationIds.forEach((conversationId, c) =>
        messages.push({
          type: 'MessageSent',
          eventId: randomUUID(),
          occurredAt: Date.now(),
          messageId: `${conversationId}-m${i}`,
          conversationId,
          senderId: `sender-${c}`,
          recipientId: null,
          text: `message ${i}`,
          replyToMessageId: null,
        }),
      );
    await produce(messages);
    return { conversationIds, messages };
  };

  /** The inbox is exactly 1..N, each message once, each conversation in order. */
  const expectWholeInbox = async (bob: string, conversationIds: string[], total: number) => {
    const perConversation = total / conversationIds.length;
    const { rows } = await pool.query<{
      position: string;
      message_id: string;
      conversation_id: string;
      seq: number;
    }>(
      `SELECT position, message_id, conversation_id, (body->>'seq')::bigint AS seq
         FROM inbox_items WHERE user_id = $1 ORDER BY position`,
      [bob],
    );
    expect(rows.map((r) => Number(r.position))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(total);
    for (const conversationId of conversationIds) {
      const inConversation = rows.filter((r) => r.conversation_id === conversationId);
      expect(inConversation.map((r) => r.message_id)).toEqual(
        Array.from({ length: perConversation }, (_, i) => `${conversationId}-m${i}`),
      );
      const seqs = inConversation.map((r) => Number(r.seq));
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    }
  };

  it('loses nothing and gives no position twice after a kill -9: the inbox is 1..N, each message once, in order', async () => {
    const bob = `bob-${randomUUID()}`;
    const { conversationIds, messages } = await scenario(bob);

    const first = (worker = startWorker());
    await waitFor(async () => (await inboxSize(bob)) >= 300, {
      what: 'the worker to be under way',
      intervalMs: 20,
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(await inboxSize(bob)).toBeLessThan(messages.length);

    const second = (worker = startWorker());
    await waitFor(async () => (await inboxSize(bob)) === messages.length, {
      what: 'the restarted worker to catch up',
      timeoutMs: 90_000,
    });
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    await expectWholeInbox(bob, conversationIds, messages.length);
  });

  it('shares the partitions between two workers and still gives every user one gap-free order', async () => {
    const bob = `bob-${randomUUID()}`;
    const chunks = [0, 0];
    const workers = [0, 1].map(
      (i) =>
        new ProjectionRunner({
          kafka: world.kafka,
          pool,
          serde,
          deadLetters: producer,
          projection: inboxProjection,
          topicPrefix: world.prefix,
          groupId: `${world.prefix}two-workers`,
          onCommitted: () => chunks[i]!++,
        }),
    );
    await Promise.all(workers.map((w) => w.start()));
    // Both in the group, with partitions each, before anything is produced.
    const admin = world.kafka.admin();
    await admin.connect();
    await waitFor(
      async () => {
        const { groups } = await admin.describeGroups([`${world.prefix}two-workers`]);
        const group = groups[0];
        return group?.state === 'Stable' && group.members.length === 2;
      },
      { what: 'two members in the group', timeoutMs: 60_000 },
    );
    await admin.disconnect();
    try {
      // 24 conversations spread over the 12 partitions: the chance that all of them land on one
      // worker's half is 2^-23, so both workers have work.
      const { conversationIds, messages } = await scenario(bob, 24, 50);
      await waitFor(async () => (await inboxSize(bob)) === messages.length, {
        what: 'both workers',
        timeoutMs: 90_000,
      });
      expect(chunks.every((n) => n > 0)).toBe(true);
      await expectWholeInbox(bob, conversationIds, messages.length);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });
});
