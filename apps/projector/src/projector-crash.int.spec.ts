import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Pool } from 'pg';
import { EVENT_TOPIC, EventSerde, type ParleyEvent } from '@parley/events';
import { BatchingProducer, KafkaAdmin } from '@parley/kafka';
import { PROJECT_MIGRATIONS, dropDatabase, ensureDatabase, migrate } from '@parley/postgres';
import { ProjectionRunner } from '@parley/projections';
import { ALL_PROJECTIONS } from '@parley/read-models';
import {
  testPool,
  createTestWorld,
  databaseUrlFor,
  randomName,
  waitFor,
  type TestWorld,
} from '@parley/testing';

const READ_MODEL_TABLES = {
  users: 'user_id',
  credentials: 'user_id',
  conversations: 'conversation_id',
  conversation_members: 'conversation_id, user_id',
  messages: 'message_id',
  message_edits: 'message_id, edit_id',
  // lease_until is the claim's insert time (now()), not a fact from the log.
  message_claims: 'message_id',
  message_hidden: 'message_id, user_id',
  message_recipients: 'message_id, recipient_id',
  conversation_reads: 'conversation_id, user_id',
  presence: 'user_id',
} as const;

/**
 * A realistic stream: accounts, groups with joins and leaves, messages, statuses, reads, edits
 * (retried ones, ones after a deletion, one of a message never sent) and deletions.
 */
function scriptedEvents(batch: number, users: number): ParleyEvent[] {
  const at = () => ({ eventId: randomUUID(), occurredAt: Date.now() });
  const events: ParleyEvent[] = [];
  const userId = (u: number) => `u${u}`;
  if (batch === 0) {
    for (let u = 0; u < users; u++) {
      events.push({
        type: 'UserRegistered',
        ...at(),
        userId: userId(u),
        username: `user${u}`,
        displayName: u % 2 ? `User ${u}` : null,
      });
      events.push({ type: 'CredentialsSet', ...at(), userId: userId(u), passwordHash: `$argon2id$fake${u}` });
    }
    events.push({
      type: 'UserStatusChanged',
      ...at(),
      userId: userId(3),
      status: 'BLOCKED',
      changedBy: userId(0),
      reason: null,
    });
  }
  for (let u = 0; u < users; u++) {
    const status = (u + batch) % 2 ? 'ONLINE' : 'OFFLINE';
    events.push({
      type: 'PresenceChanged',
      ...at(),
      userId: userId(u),
      status,
      lastSeen: 1_700_000_000_000 + batch,
    });
  }
  for (let c = 0; c < 8; c++) {
    const conversationId = `b${batch}-c${c}`;
    const members = [0, 1, 2, 3].map((i) => userId((c + i) % users));
    events.push({
      type: 'ConversationCreated',
      ...at(),
      conversationId,
      kind: 'GROUP',
      title: `Group ${c}`,
      createdBy: members[0]!,
      memberIds: members,
    });
    events.push({
      type: 'MemberAdded',
      ...at(),
      conversationId,
      userId: userId((c + 5) % users),
      addedBy: members[0]!,
    });
    events.push({
      type: 'MemberRemoved',
      ...at(),
      conversationId,
      userId: members[3]!,
      removedBy: members[3]!,
    });
    for (let m = 0; m < 150; m++) {
      const messageId = `${conversationId}-m${m}`;
      const senderId = members[m % 3]!;
      const recipientId = members[(m + 1) % 3]!;
      events.push({
        type: 'MessageSent',
        ...at(),
        messageId,
        conversationId,
        senderId,
        recipientId: null,
        text: `message ${m} ✓`,
        replyToMessageId: null,
      });
      if (m % 3 === 0)
        events.push({ type: 'DeliveryPending', ...at(), messageId, conversationId, senderId, recipientId });
      if (m % 4 === 0)
        events.push({
          type: 'MessageDelivered',
          ...at(),
          messageId,
          conversationId,
          senderId,
          recipientId,
          deviceId: 'd1',
          seq: 0,
        });
      if (m % 10 === 3 || m % 25 === 0) {
        const edit = {
          messageId,
          conversationId,
          editedBy: senderId,
          editId: `edit-${m}`,
          text: `edited ${m} ✓`,
        };
        events.push({ type: 'MessageEdited', ...at(), ...edit });
        // Retried (the same editId) now and then, and edited again.
        if (m % 20 === 3) events.push({ type: 'MessageEdited', ...at(), ...edit });
        if (m % 30 === 3)
          events.push({ type: 'MessageEdited', ...at(), ...edit, editId: `edit-${m}-b`, text: 'again' });
      }
      if (m % 25 === 0)
        events.push({
          type: 'MessageDeleted',
          ...at(),
          messageId,
          conversationId,
          deletedBy: senderId,
          scope: 'EVERYONE',
        });
      if (m % 30 === 7)
        events.push({
          type: 'MessageDeleted',
          ...at(),
          messageId,
          conversationId,
          deletedBy: recipientId,
          scope: 'ME',
        });
      if (m % 50 === 49)
        events.push({
          type: 'MessageRead',
          ...at(),
          conversationId,
          readerId: recipientId,
          upToSeq: 1_000_000,
        });
    }
    // An edit after a deletion for everybody, and one of a message the log never had: both change nothing.
    events.push({
      type: 'MessageEdited',
      ...at(),
      messageId: `${conversationId}-m0`,
      conversationId,
      editedBy: members[0]!,
      editId: 'late',
      text: 'too late',
    });
    events.push({
      type: 'MessageEdited',
      ...at(),
      messageId: `${conversationId}-never-sent`,
      conversationId,
      editedBy: members[0]!,
      editId: 'orphan',
      text: 'nobody',
    });
    // A duplicate send of the same messageId must not create a second message.
    events.push({
      type: 'MessageSent',
      ...at(),
      messageId: `${conversationId}-m1`,
      conversationId,
      senderId: members[1]!,
      recipientId: null,
      text: 'dup',
      replyToMessageId: null,
    });
  }
  return events;
}

const keyOf = (event: ParleyEvent): string =>
  'conversationId' in event ? event.conversationId : event.userId;

describe('projector killed with kill -9 mid-stream', () => {
  let world: TestWorld;
  let serde: EventSerde;
  let producer: BatchingProducer;
  let admin: KafkaAdmin;
  const referenceUrl = () =>
    databaseUrlFor(world.databaseUrl, `${new URL(world.databaseUrl).pathname.slice(1)}_ref`);

  const produce = async (events: ParleyEvent[]) =>
    producer.send(
      await Promise.all(
        events.map(async (e) => ({
          topic: world.topic(EVENT_TOPIC[e.type]),
          key: keyOf(e),
          value: await serde.encode(e),
        })),
      ),
    );

  let projector: ChildProcess | undefined;
  const startProjector = (): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'main.ts')], {
      env: {
        ...process.env,
        TOPIC_PREFIX: world.prefix,
        DATABASE_URL: world.databaseUrl,
        KAFKA_BROKERS: world.env.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: world.env.schemaRegistryUrl,
        PROJECTOR_PORT: '0',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });

  /** Events applied so far: the sum of the stored positions (next offsets) over all partitions. */
  const applied = async (pool: Pool) =>
    Number(
      (await pool.query<{ n: string }>('SELECT COALESCE(SUM(next_offset), 0) AS n FROM consumer_positions'))
        .rows[0]?.n,
    );

  /** What the projections' positions add up to once each has read its topics to the end. */
  const logEnd = async () => {
    let total = 0;
    // A topic two projections read (chat.users: users and identities) counts once for each.
    for (const topic of ALL_PROJECTIONS.flatMap((projection) => projection.topics))
      for (const p of await admin.topicOffsets(world.topic(topic))) total += Number(p.high);
    return total;
  };

  const dump = async (pool: Pool) => {
    const tables: Record<string, unknown[]> = {};
    for (const [table, key] of Object.entries(READ_MODEL_TABLES)) {
      const { rows } = await pool.query(`SELECT * FROM ${table} ORDER BY ${key}`);
      tables[table] = rows.map(({ lease_until: _, ...row }: Record<string, unknown>) => row);
    }
    return tables;
  };

  beforeAll(async () => {
    world = await createTestWorld('projector', { database: true });
    await ensureDatabase(referenceUrl());
    await migrate({ databaseUrl: referenceUrl(), ...PROJECT_MIGRATIONS });
    serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    admin = new KafkaAdmin(world.kafka);
    await admin.connect();
  });

  afterAll(async () => {
    if (projector && projector.exitCode === null) projector.kill('SIGKILL');
    await admin.disconnect();
    await producer.disconnect();
    await dropDatabase(referenceUrl());
    await world.dispose();
  });

  it('ends with read models identical to a run without the kill', async () => {
    const live = testPool({ connectionString: world.databaseUrl });
    const reference = testPool({ connectionString: referenceUrl() });
    try {
      const firstHalf = scriptedEvents(0, 12);
      await produce(firstHalf);

      const first = (projector = startProjector());
      await waitFor(async () => (await applied(live)) >= 300, {
        what: 'the projector to be under way',
        intervalMs: 20,
      });
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const atKill = await applied(live);
      // It really was stopped in the middle of the stream.
      expect(atKill).toBeLessThan(firstHalf.length);

      await produce(scriptedEvents(1, 12));
      const second = (projector = startProjector());
      const end = await logEnd();
      await waitFor(async () => (await applied(live)) === end, {
        what: 'the restarted projector to catch up',
        timeoutMs: 90_000,
      });
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));

      // The same log through the same projections, uninterrupted, into the reference database.
      const runners = ALL_PROJECTIONS.map(
        (projection) =>
          new ProjectionRunner({
            kafka: world.kafka,
            pool: reference,
            serde,
            deadLetters: producer,
            projection,
            topicPrefix: world.prefix,
            groupId: randomName(`ref-${projection.name}`),
          }),
      );
      await Promise.all(runners.map((r) => r.start()));
      await waitFor(async () => (await applied(reference)) === end, {
        what: 'the reference run',
        timeoutMs: 90_000,
      });
      await Promise.all(runners.map((r) => r.stop()));

      const [liveTables, referenceTables] = [await dump(live), await dump(reference)];
      expect(liveTables.messages?.length).toBe(2 * 8 * 150);
      expect(liveTables.users?.length).toBe(12);
      // The edits are in: retried and edited again (latest wins), and erased with a deletion.
      const row = (id: string) =>
        (liveTables.messages as { message_id: string; text: string; edited_at: Date | null }[]).find(
          (m) => m.message_id === id,
        );
      expect(row('b0-c0-m3')).toMatchObject({ text: 'again', edited_at: expect.any(Date) });
      expect(row('b1-c7-m13')).toMatchObject({ text: 'edited 13 ✓', edited_at: expect.any(Date) });
      expect(row('b0-c0-m0')).toMatchObject({ text: '', edited_at: null, deleted_for_everybody: true });
      expect(liveTables.message_edits?.length).toBe(2 * 8 * 20);
      for (const table of Object.keys(READ_MODEL_TABLES)) {
        expect({ table, rows: liveTables[table] }).toEqual({ table, rows: referenceTables[table] });
      }
    } finally {
      await live.end();
      await reference.end();
    }
  });
});
