import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { EventSerde, type ParleyEvent } from '@parley/events';
import { BatchingProducer, KafkaAdmin, lingeringFetches, readTopic } from '@parley/kafka';
import { PROJECTION_POOL_CONFIG } from '@parley/postgres';
import { ProjectionRunner, sql, type Projection, type ProjectionRunnerOptions } from '@parley/projections';
import { testPool, createTestWorld, randomName, waitFor, type TestWorld } from '@parley/testing';

/** Member counts per conversation: a tiny read model that shows double or missed applies at once. */
const memberCounts: Projection = {
  name: 'member-counts',
  topics: ['chat.conversations'],
  tables: ['test_member_counts'],
  apply(event) {
    switch (event.type) {
      case 'MemberAdded':
      case 'MemberRemoved':
        return [
          sql(
            `INSERT INTO test_member_counts (conversation_id, members) VALUES ($1, $2)
             ON CONFLICT (conversation_id) DO UPDATE SET members = test_member_counts.members + EXCLUDED.members`,
            event.conversationId,
            event.type === 'MemberAdded' ? 1 : -1,
          ),
        ];
      default:
        return [];
    }
  },
};

describe('ProjectionRunner', () => {
  let world: TestWorld;
  let pool: Pool;
  let serde: EventSerde;
  let producer: BatchingProducer;

  const runner = (groupId: string, afterChunk?: ProjectionRunnerOptions['afterChunk']) =>
    new ProjectionRunner({
      kafka: world.kafka,
      pool,
      serde,
      deadLetters: producer,
      projection: memberCounts,
      topicPrefix: world.prefix,
      groupId,
      ...(afterChunk ? { afterChunk } : {}),
    });

  const counts = async () =>
    Object.fromEntries(
      (
        await pool.query<{ conversation_id: string; members: number }>('SELECT * FROM test_member_counts')
      ).rows.map((r) => [r.conversation_id, r.members]),
    );

  const appliedThrough = async () =>
    (
      await pool.query<{ total: string }>(
        `SELECT COALESCE(SUM(next_offset), 0) AS total FROM consumer_positions`,
      )
    ).rows[0]?.total;

  beforeAll(async () => {
    world = await createTestWorld('projection', { database: true });
    // Like the services' pools: the runner's one-round-trip path, with its fall-backs on replays.
    pool = testPool({ connectionString: world.databaseUrl, ...PROJECTION_POOL_CONFIG });
    await pool.query(
      'CREATE TABLE test_member_counts (conversation_id text PRIMARY KEY, members integer NOT NULL)',
    );
    await pool.query(
      'CREATE TABLE test_member_log (event_id text NOT NULL, part integer NOT NULL, tx bigint NOT NULL)',
    );
    serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await pool.end();
    await world.dispose();
  });

  it('applies every event once, dead-letters what does not decode, and a replay changes nothing', async () => {
    const topic = world.topic('chat.conversations');
    const events: ParleyEvent[] = [];
    for (let c = 0; c < 10; c++) {
      for (let m = 0; m < 30; m++) {
        events.push({
          type: 'MemberAdded',
          eventId: randomUUID(),
          occurredAt: Date.now(),
          conversationId: `c${c}`,
          userId: `u${m}`,
          addedBy: 'x',
        });
      }
      for (let m = 0; m < c; m++) {
        events.push({
          type: 'MemberRemoved',
          eventId: randomUUID(),
          occurredAt: Date.now(),
          conversationId: `c${c}`,
          userId: `u${m}`,
          removedBy: 'x',
        });
      }
    }
    const records = await Promise.all(
      events.map(async (e) => ({ topic, key: keyOf(e), value: await serde.encode(e) })),
    );
    await producer.send([...records, { topic, key: 'c3', value: Buffer.from('garbage') }]);
    const expected = Object.fromEntries(Array.from({ length: 10 }, (_, c) => [`c${c}`, 30 - c]));

    const live = runner(randomName('g-live'));
    await live.start();
    await waitFor(async () => Number(await appliedThrough()) >= events.length, {
      what: 'all events applied',
    });
    await live.stop();
    expect(await counts()).toEqual(expected);
    const dlq = await readTopic(world.kafka, `${topic}.dlq`, (r) => r.length >= 1);
    expect(dlq.map((r) => r.value?.toString())).toEqual(['garbage']);

    // Another consumer group reads the whole log again (as after lost Kafka offsets): the stored
    // positions make every record a no-op.
    const seenBefore = await appliedThrough();
    const replayGroup = randomName('g-replay');
    const replay = runner(replayGroup);
    await replay.start();
    const admin = new KafkaAdmin(world.kafka);
    await admin.connect();
    // Wait until that group has committed its way to the end of every partition.
    await waitFor(async () => (await lagOf(admin, replayGroup, topic)) === 0, {
      what: 'the replay to reach the end',
    });
    await admin.disconnect();
    await replay.stop();
    expect(await counts()).toEqual(expected);
    expect(await appliedThrough()).toBe(seenBefore);
  });

  it('moves its positions past records it ignores without changing a row, and a replay of them changes nothing', async () => {
    const topic = world.topic('chat.conversations');
    const before = { counts: await counts(), through: Number(await appliedThrough()) };
    // ConversationCreated is not a member change: every chunk of these changes nothing.
    const ignored: ParleyEvent[] = Array.from({ length: 40 }, (_, i) => ({
      type: 'ConversationCreated',
      eventId: randomUUID(),
      occurredAt: Date.now(),
      conversationId: `quiet-${i}`,
      kind: 'GROUP',
      title: 'quiet',
      createdBy: 'x',
      memberIds: ['x'],
    }));
    await producer.send(
      await Promise.all(ignored.map(async (e) => ({ topic, key: keyOf(e), value: await serde.encode(e) }))),
    );
    const admin = new KafkaAdmin(world.kafka);
    await admin.connect();
    const ends = await admin.topicOffsets(topic);
    await admin.disconnect();
    const positionsAtEnd = async () => {
      const { rows } = await pool.query<{ partition: number; next_offset: string }>(
        'SELECT partition, next_offset FROM consumer_positions WHERE topic = $1',
        [topic],
      );
      return ends.every(
        (end) => rows.find((row) => row.partition === end.partition)?.next_offset === end.high,
      );
    };
    expect(await positionsAtEnd()).toBe(false);
    const live = runner(randomName('g-quiet'));
    await live.start();
    // Their positions are written within a second, in one statement, without a transaction each.
    await waitFor(positionsAtEnd, { what: 'every position to pass the ignored records' });
    await live.stop();
    expect(await counts()).toEqual(before.counts);
    expect(Number(await appliedThrough())).toBeGreaterThanOrEqual(before.through + ignored.length);
  });

  it('hands each chunk to afterChunk once its rows are committed, once each, and a failing listener stops nothing', async () => {
    // Given a conversation whose members are added one send at a time, and a listener that reads
    // the read model when it is called and fails the first time
    const topic = world.topic('chat.conversations');
    const conversationId = randomName('c-after');
    const calls: { membersThen: number | undefined; added: number }[] = [];
    let failNext = true;
    const listening = runner(randomName('g-after'), async (items) => {
      const added = items.filter(
        ({ value }) => value.type === 'MemberAdded' && value.conversationId === conversationId,
      ).length;
      if (added === 0) return;
      calls.push({ membersThen: (await counts())[conversationId], added });
      if (failNext) {
        failNext = false;
        throw new Error('the listener failed');
      }
    });
    await listening.start();

    // When five members are added, each sent once the listener saw the one before (a chunk each)
    const seen = () => calls.reduce((sum, call) => sum + call.added, 0);
    for (let m = 0; m < 5; m++) {
      const event: ParleyEvent = {
        type: 'MemberAdded',
        eventId: randomUUID(),
        occurredAt: Date.now(),
        conversationId,
        userId: `u${m}`,
        addedBy: 'x',
      };
      await producer.send({ topic, key: conversationId, value: await serde.encode(event) });
      await waitFor(() => seen() > m, { what: `the listener to see member ${m}`, intervalMs: 10 });
    }
    await listening.stop();

    // Then every call saw its own chunk's rows committed, the first call's failure stopped nothing,
    // and each record was handed over once
    let through = 0;
    for (const call of calls) {
      through += call.added;
      expect(call.membersThen).toBe(through);
    }
    expect(through).toBe(5);
    expect(calls).toHaveLength(5);
    expect((await counts())[conversationId]).toBe(5);
  });

  describe('a lagging projection whose chunks may span partitions', () => {
    /** Records which transaction applied each member change, and from which partition. */
    const memberLog: Projection = {
      name: 'member-log',
      topics: ['chat.conversations'],
      tables: ['test_member_log'],
      apply: (event, position) => memberLog.applyChunk?.([{ event, position }]) ?? [],
      applyChunk: (entries) => {
        const added = entries.filter((e) => e.event.type === 'MemberAdded');
        return added.length === 0
          ? []
          : [
              sql(
                `INSERT INTO test_member_log (event_id, part, tx)
                 SELECT id, part, txid_current() FROM unnest($1::text[], $2::int[]) AS a(id, part)`,
                added.map((e) => e.event.eventId),
                added.map((e) => e.position.partition),
              ),
            ];
      },
      chunksSpanPartitions: true,
    };

    const logRunner = (groupId: string, gatherPartitions?: boolean) =>
      new ProjectionRunner({
        kafka: world.kafka,
        pool,
        serde,
        deadLetters: producer,
        projection: memberLog,
        topicPrefix: world.prefix,
        groupId,
        fetch: lingeringFetches(300),
        ...(gatherPartitions === undefined ? {} : { gatherPartitions }),
      });

    /** One MemberAdded in each of `count` conversations, sent in one produce (so one fetch sees them). */
    const addMembers = async (tag: string, count: number) => {
      const topic = world.topic('chat.conversations');
      const events: ParleyEvent[] = Array.from({ length: count }, (_, i) => ({
        type: 'MemberAdded',
        eventId: randomUUID(),
        occurredAt: Date.now(),
        conversationId: `${tag}-${i}`,
        userId: 'u',
        addedBy: 'x',
      }));
      await producer.send(
        await Promise.all(events.map(async (e) => ({ topic, key: keyOf(e), value: await serde.encode(e) }))),
      );
      return events.map((e) => e.eventId);
    };

    const logged = async (eventIds: readonly string[]) =>
      (
        await pool.query<{ event_id: string; part: number; tx: string }>(
          'SELECT event_id, part, tx::text FROM test_member_log WHERE event_id = ANY($1)',
          [eventIds],
        )
      ).rows;

    it.each([
      ['gathered', 'fewer transactions than partitions', undefined],
      ['not gathered (gatherPartitions: false)', 'a transaction per partition', false],
    ] as const)(
      "applies a fetch's partitions %s: every change once, in %s, and a replay changes nothing",
      async (_how, transactions, gatherPartitions) => {
        // Given a running projection that has applied a first burst over 60 conversations (on all six
        // partitions but for a chance of 1 in 10,000)
        const live = logRunner(randomName('g-gather'), gatherPartitions);
        await live.start();
        const first = await addMembers(randomName('warm'), 60);
        await waitFor(async () => (await logged(first)).length === first.length, { what: 'the first burst' });
        // A partition's first chunk is applied alone (no position row to guard yet): wait until
        // every partition has one (the positions of records the projection ignores, the other
        // cases' conversations, are written within a second).
        await waitFor(
          async () =>
            (
              await pool.query(`SELECT 1 FROM consumer_positions WHERE projection = $1 AND topic = $2`, [
                memberLog.name,
                world.topic('chat.conversations'),
              ])
            ).rowCount === 6,
          { what: 'a position in every partition' },
        );

        // When 24 conversations on the topic's 6 partitions each get a member in one produce
        const burst = await addMembers(randomName('burst'), 24);
        await waitFor(async () => (await logged(burst)).length === burst.length, { what: 'the burst' });
        await live.stop();

        // Then each change is applied once, and the partitions of a fetch share transactions
        const rows = await logged(burst);
        expect(rows).toHaveLength(burst.length);
        expect(new Set(rows.map((r) => r.event_id)).size).toBe(burst.length);
        const partitions = new Set(rows.map((r) => r.part));
        const txs = new Map<string, Set<number>>();
        for (const row of rows) txs.set(row.tx, (txs.get(row.tx) ?? new Set()).add(row.part));
        expect(partitions.size).toBeGreaterThan(1);
        if (transactions === 'fewer transactions than partitions') {
          expect(txs.size).toBeLessThan(partitions.size);
          expect(Math.max(...[...txs.values()].map((parts) => parts.size))).toBeGreaterThan(1);
        } else expect([...txs.values()].every((parts) => parts.size === 1)).toBe(true);

        // And another group reading the whole log again (stored positions ahead) changes nothing
        const replayGroup = randomName('g-gather-replay');
        const replay = logRunner(replayGroup, gatherPartitions);
        await replay.start();
        const admin = new KafkaAdmin(world.kafka);
        await admin.connect();
        await waitFor(
          async () => (await lagOf(admin, replayGroup, world.topic('chat.conversations'))) === 0,
          {
            what: 'the replay to reach the end',
          },
        );
        await admin.disconnect();
        await replay.stop();
        expect(await logged([...first, ...burst])).toHaveLength(first.length + burst.length);
      },
    );
  });
});

function keyOf(event: ParleyEvent): string {
  return 'conversationId' in event ? event.conversationId : event.userId;
}

async function lagOf(admin: KafkaAdmin, groupId: string, topic: string): Promise<number> {
  const committed = await admin.groupOffsets(groupId, topic);
  const ends = await admin.topicOffsets(topic);
  return ends.reduce((lag, end) => {
    const done = Number(committed.find((c) => c.partition === end.partition)?.offset ?? '-1');
    return lag + Number(end.high) - Math.max(0, done);
  }, 0);
}
