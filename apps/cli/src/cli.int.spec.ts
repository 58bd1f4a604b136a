import { randomUUID } from 'node:crypto';
import { Type } from 'avsc';
import type { Pool } from 'pg';
import { EVENT_TOPIC, EventSerde, latestSchema, loadSchemaHistories, type ParleyEvent } from '@parley/events';
import { BatchingProducer } from '@parley/kafka';
import { ProjectionRunner, sql, type Projection } from '@parley/projections';
import { testPool, createTestWorld, waitFor, type TestWorld } from '@parley/testing';
import { parley } from '../test/cli-harness';

/** Counts MemberAdded per conversation under a name; "poison" fails for good while the CHECK stands. */
const counting = (name: string, table: string): Projection => ({
  name,
  topics: ['chat.conversations'],
  tables: [table],
  apply(event) {
    if (event.type !== 'MemberAdded') return [];
    return [
      sql(
        `INSERT INTO ${table} (conversation_id, n) VALUES ($1, 1)
         ON CONFLICT (conversation_id) DO UPDATE SET n = ${table}.n + 1`,
        event.conversationId,
      ),
    ];
  },
});

describe('the parley CLI', () => {
  let world: TestWorld;
  let pool: Pool;
  let serde: EventSerde;
  let producer: BatchingProducer;
  const runners: ProjectionRunner[] = [];

  const runner = (projection: Projection) => {
    const r = new ProjectionRunner({
      kafka: world.kafka,
      pool,
      serde,
      deadLetters: producer,
      projection,
      topicPrefix: world.prefix,
    });
    runners.push(r);
    return r;
  };

  const publish = async (events: readonly ParleyEvent[]) => {
    await producer.send(
      await Promise.all(
        events.map(async (event) => ({
          topic: world.topic(EVENT_TOPIC[event.type]),
          key: 'conversationId' in event ? event.conversationId : randomUUID(),
          value: await serde.encode(event),
        })),
      ),
    );
  };

  const memberAdded = (conversationId: string): ParleyEvent => ({
    type: 'MemberAdded',
    eventId: randomUUID(),
    occurredAt: Date.now(),
    conversationId,
    userId: randomUUID(),
    addedBy: 'x',
  });

  beforeAll(async () => {
    world = await createTestWorld('cli', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
    await pool.query(
      `CREATE TABLE test_fragile (conversation_id text PRIMARY KEY CHECK (conversation_id <> 'poison'), n integer NOT NULL);
       CREATE TABLE test_sturdy (conversation_id text PRIMARY KEY, n integer NOT NULL)`,
    );
    serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await producer.disconnect();
    await pool.end();
    await world.dispose();
  });

  it('answers --help for every command and refuses unknown topics, types and bad ranges clearly', async () => {
    for (const command of [
      [],
      ['events', 'dump'],
      ['events', 'tail'],
      ['topics', 'describe'],
      ['offsets', 'show'],
      ['offsets', 'reset'],
      ['dlq', 'list'],
      ['dlq', 'redrive'],
      ['projections', 'rebuild'],
      ['projections', 'verify'],
    ]) {
      const help = await parley(world, ...command, '--help');
      expect(help.code).toBe(0);
      expect(help.out.join('\n')).toContain('Usage: parley');
    }
    const unknownTopic = await parley(world, 'events', 'dump', 'chat.nothing');
    expect(unknownTopic).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown topic "chat.nothing": the topics are chat.messages'),
    });
    const wrongType = await parley(world, 'events', 'dump', 'chat.users', '--type', 'MessageSent');
    expect(wrongType.err).toContain('MessageSent events are on chat.messages, not on chat.users');
    const badOffset = await parley(world, 'events', 'dump', 'chat.users', '--from-offset', '999999');
    expect(badOffset).toMatchObject({
      code: 2,
      err: expect.stringMatching(/offset 999999 is outside partition 0, which holds/),
    });
    const badTime = await parley(world, 'events', 'dump', 'chat.users', '--from-time', 'yesterday-ish');
    expect(badTime.err).toContain('is not a time');
    const unknownGroup = await parley(world, 'offsets', 'show', 'no-such-group');
    expect(unknownGroup).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown consumer group "no-such-group"'),
    });
  });

  it('decodes every event type to JSON lines, filtered by type, key and offset', async () => {
    // One random but valid event of each type, straight from its Avro schema.
    const samples = loadSchemaHistories().map((history) => {
      const record = Type.forSchema(latestSchema(history) as never).random() as unknown as Record<
        string,
        unknown
      >;
      return { type: history.name, ...record } as unknown as ParleyEvent;
    });
    expect(samples).toHaveLength(Object.keys(EVENT_TOPIC).length);
    await publish(samples);
    const seen = new Set<string>();
    for (const topic of new Set(Object.values(EVENT_TOPIC))) {
      const { code, out, err } = await parley(world, 'events', 'dump', topic);
      expect({ code, err }).toEqual({ code: 0, err: expect.stringContaining('line(s) written') });
      for (const line of out) {
        const parsed = JSON.parse(line) as { type?: string; error?: string; event: { eventId: string } };
        expect(parsed.error).toBeUndefined();
        seen.add(parsed.type as string);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(EVENT_TOPIC).sort());

    await publish([memberAdded('c-filter'), memberAdded('c-other'), memberAdded('c-filter')]);
    const byKey = await parley(
      world,
      'events',
      'dump',
      'chat.conversations',
      '--key',
      'c-filter',
      '--type',
      'MemberAdded',
    );
    expect(byKey.out.map((l) => JSON.parse(l).event.conversationId)).toEqual(['c-filter', 'c-filter']);
    const limited = await parley(world, 'events', 'dump', 'chat.conversations', '--limit', '1');
    expect(limited.out).toHaveLength(1);
  });

  it('re-drives a dead-lettered record after its cause is fixed: processed once, by the group that failed it only', async () => {
    const fragile = runner(counting('fragile', 'test_fragile'));
    const sturdy = runner(counting('sturdy', 'test_sturdy'));
    await Promise.all([fragile.start(), sturdy.start()]);
    await publish([memberAdded('fine'), memberAdded('poison'), memberAdded('fine')]);
    const count = async (table: string, id: string) =>
      Number((await pool.query(`SELECT n FROM ${table} WHERE conversation_id = $1`, [id])).rows[0]?.n ?? 0);
    await waitFor(
      async () => (await count('test_fragile', 'fine')) === 2 && (await count('test_sturdy', 'poison')) === 1,
    );

    let listed: Awaited<ReturnType<typeof parley>> | undefined;
    await waitFor(
      async () => {
        listed = await parley(world, 'dlq', 'list', 'chat.conversations');
        return listed.err.startsWith('1 dead-lettered record(s), 1 not re-driven');
      },
      { what: 'the poison record in the dead-letter topic' },
    );
    expect(listed!.out.join('\n')).toMatch(
      /MemberAdded .*parley\.projection\.fragile .*handle .* no .*check constraint/,
    );

    await pool.query('ALTER TABLE test_fragile DROP CONSTRAINT test_fragile_conversation_id_check'); // the fix
    const redrive = await parley(world, 'dlq', 'redrive', 'chat.conversations');
    expect(redrive).toMatchObject({ code: 0, err: expect.stringContaining('re-drove 1 record(s)') });
    await waitFor(async () => (await count('test_fragile', 'poison')) === 1, {
      what: 'the re-driven record applied',
    });

    // Again: nothing left to re-drive; and the group that had processed it does not see it twice.
    expect((await parley(world, 'dlq', 'redrive', 'chat.conversations')).err).toContain(
      're-drove 0 record(s)',
    );
    await publish([memberAdded('after')]);
    await waitFor(
      async () => (await count('test_sturdy', 'after')) === 1 && (await count('test_fragile', 'after')) === 1,
    );
    expect(await count('test_fragile', 'poison')).toBe(1);
    expect(await count('test_sturdy', 'poison')).toBe(1);
    expect((await parley(world, 'dlq', 'list', 'chat.conversations')).err).toContain(
      '1 dead-lettered record(s), 0 not re-driven',
    );
  });

  it('shows group offsets with lag, and refuses to reset an active group', async () => {
    const group = `${world.prefix}parley.projection.sturdy`;
    const shown = await parley(world, 'offsets', 'show', group);
    expect(shown.code).toBe(0);
    expect(shown.out.join('\n')).toContain(world.topic('chat.conversations'));

    const reset = (...to: string[]) =>
      parley(world, 'offsets', 'reset', group, '--topic', 'chat.conversations', ...to);
    expect(await reset('--to-earliest')).toMatchObject({
      code: 2,
      err: expect.stringContaining('is active'),
    });

    await Promise.all(runners.map((r) => r.stop()));
    await waitFor(async () => (await reset('--to-latest', '--dry-run')).code === 0, {
      what: 'the group to be empty after its worker stopped',
    });
    expect((await reset('--to-earliest')).code).toBe(0);
    const after = await parley(world, 'offsets', 'show', group);
    const lags = after.out
      .join('\n')
      .split('\n')
      .slice(2)
      .map((line) => Number(line.trim().split(/\s+/).pop()));
    expect(lags.reduce((a, b) => a + b, 0)).toBeGreaterThan(0); // everything is to be read again
  });
});
