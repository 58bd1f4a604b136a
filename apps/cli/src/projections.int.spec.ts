import type { Pool } from 'pg';
import { EventSerde } from '@parley/events';
import { BatchingProducer } from '@parley/kafka';
import { ProjectionRunner } from '@parley/projections';
import { EventPublisher } from '@parley/publishing';
import { ALL_PROJECTIONS } from '@parley/read-models';
import { ChatTraffic } from '@parley/chat-traffic';
import { testPool, createTestWorld, waitFor, type TestWorld } from '@parley/testing';
import { parley } from '../test/cli-harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('parley projections rebuild|verify, while messages keep flowing', () => {
  let world: TestWorld;
  let pool: Pool;
  let producer: BatchingProducer;
  let publisher: EventPublisher;
  const traffic = new ChatTraffic({ users: 12, conversations: 8 });
  let sentIds: string[] = [];
  let flowing = false;
  let flow: Promise<void> = Promise.resolve();
  const runners: ProjectionRunner[] = [];

  /** Publishes traffic in small batches until stopped, as a live system would. */
  const startFlow = () => {
    flowing = true;
    flow = (async () => {
      while (flowing) {
        const events = traffic.next(20);
        await publisher.publish(events);
        sentIds.push(...events.flatMap((e) => (e.type === 'MessageSent' ? [e.messageId] : [])));
        await sleep(25);
      }
    })();
  };
  const stopFlow = async () => {
    flowing = false;
    await flow;
  };

  beforeAll(async () => {
    world = await createTestWorld('rebuild', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
    const serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    publisher = new EventPublisher(producer, serde, world.prefix);
    // The live projector, as apps/projector runs it.
    for (const projection of ALL_PROJECTIONS) {
      const runner = new ProjectionRunner({
        kafka: world.kafka,
        pool,
        serde,
        deadLetters: producer,
        projection,
        topicPrefix: world.prefix,
      });
      runners.push(runner);
      await runner.start();
    }
    await publisher.publish(traffic.setup());
    const first = traffic.next(1500);
    await publisher.publish(first);
    sentIds = first.flatMap((e) => (e.type === 'MessageSent' ? [e.messageId] : []));
    await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM messages');
        return Number(rows[0]!.n) === sentIds.length;
      },
      { timeoutMs: 60_000, what: 'every message projected' },
    );
  }, 120_000);

  afterAll(async () => {
    await stopFlow();
    await Promise.all(runners.map((r) => r.stop()));
    await producer.disconnect();
    await pool.end();
    await world.dispose();
  });

  it('verify finds every read model equal to what the topics give', async () => {
    startFlow();
    const result = await parley(world, 'projections', 'verify');
    expect(result.err).not.toMatch(/failed/);
    expect(result.code).toBe(0);
    const report = result.out.join('\n');
    for (const projection of ALL_PROJECTIONS)
      for (const table of projection.tables)
        expect(report).toMatch(new RegExp(`${projection.name}\\s+${table}\\s.*same`));
    expect(report).not.toContain('DIFFERENT');
    expect(result.err).toMatch(/records \(100%\)/);
    // The traffic edits messages: verify compared edited rows, not only untouched ones.
    const { rows } = await pool.query<{ edits: string; edited: string }>(
      `SELECT (SELECT count(*) FROM message_edits) AS edits,
              (SELECT count(*) FROM messages WHERE edited_at IS NOT NULL) AS edited`,
    );
    expect(Number(rows[0]!.edits)).toBeGreaterThan(10);
    expect(Number(rows[0]!.edited)).toBeGreaterThan(10);
  }, 120_000);

  it('verify names the rows of a damaged read model, and rebuild repairs it without stopping the flow', async () => {
    // The text as the topics give it (verify found every table equal), then damaged.
    const { rows } = await pool.query<{ text: string }>(
      `UPDATE messages SET text = 'tampered' FROM (SELECT message_id, text FROM messages WHERE message_id = $1) AS before
        WHERE messages.message_id = before.message_id RETURNING before.text`,
      [sentIds[10]],
    );
    expect(rows).toEqual([{ text: expect.any(String) }]);
    const original = rows[0]!.text;
    expect(original).not.toBe('tampered');
    // And an edit lost: one of an early message, which the flowing traffic no longer edits or deletes.
    const { rows: lostEdit } = await pool.query<{ message_id: string; edit_id: string }>(
      `DELETE FROM message_edits WHERE (message_id, edit_id) IN
         (SELECT message_id, edit_id FROM message_edits WHERE message_id = ANY($1) LIMIT 1)
       RETURNING message_id, edit_id`,
      [sentIds.slice(0, 150)],
    );
    expect(lostEdit).toHaveLength(1);
    const damaged = await parley(world, 'projections', 'verify', 'messages');
    expect(damaged.code).toBe(1);
    expect(damaged.out.join('\n')).toMatch(new RegExp(`messages: only live: +\\(${sentIds[10]},.*tampered`));
    expect(damaged.out.join('\n')).toMatch(new RegExp(`messages: only rebuilt: +\\(${sentIds[10]},`));
    expect(damaged.err).toMatch(/messages, message_edits differ/);
    expect(damaged.out.join('\n')).toMatch(
      new RegExp(`message_edits: only rebuilt: +\\(${lostEdit[0]!.message_id},${lostEdit[0]!.edit_id},`),
    );

    const rebuilt = await parley(world, 'projections', 'rebuild', 'messages');
    expect(rebuilt.err).not.toMatch(/failed/);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.err).toMatch(/switched messages to the rebuilt tables/);
    const { rows: repaired } = await pool.query<{ text: string }>(
      'SELECT text FROM messages WHERE message_id = $1',
      [sentIds[10]],
    );
    expect(repaired).toEqual([{ text: original }]);
    const { rows: edit } = await pool.query(
      'SELECT 1 FROM message_edits WHERE message_id = $1 AND edit_id = $2',
      [lostEdit[0]!.message_id, lostEdit[0]!.edit_id],
    );
    expect(edit).toHaveLength(1);
    // No schema of the rebuild is left behind.
    const { rows: schemas } = await pool.query(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'parley_%'`,
    );
    expect(schemas).toEqual([]);
  }, 120_000);

  it('after the switch the live projection carries on in the new tables: each message once, and verify agrees', async () => {
    await sleep(1000);
    await stopFlow();
    await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM messages');
        return Number(rows[0]!.n) === sentIds.length;
      },
      { timeoutMs: 60_000, what: 'every message projected' },
    );
    const { rows } = await pool.query<{ n: string; distinct_ids: string }>(
      'SELECT count(*) AS n, count(DISTINCT message_id) AS distinct_ids FROM messages WHERE message_id = ANY($1)',
      [sentIds],
    );
    expect(rows[0]).toEqual({ n: String(sentIds.length), distinct_ids: String(sentIds.length) });
    const verified = await parley(world, 'projections', 'verify');
    expect(verified.code).toBe(0);
    expect(verified.out.join('\n')).not.toContain('DIFFERENT');
  }, 120_000);

  it('refuses an unknown projection, explains why inboxes are not rebuilt, and runs one rebuild of a projection at a time', async () => {
    expect(await parley(world, 'projections', 'rebuild', 'nothing')).toMatchObject({
      code: 2,
      err: expect.stringMatching(
        /unknown projection "nothing" \(known: users, credentials, identities, conversations, messages, presence\)/,
      ),
    });
    expect(await parley(world, 'projections', 'verify', 'inboxes')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/inboxes cannot be rebuilt from the topics/),
    });
    // As if another operator's rebuild of messages were running.
    const other = await pool.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext('parley_shadow_messages'))`);
      expect(await parley(world, 'projections', 'rebuild', 'messages')).toMatchObject({
        code: 2,
        err: expect.stringMatching(/a rebuild or verify of messages is already running/),
      });
    } finally {
      await other.query(`SELECT pg_advisory_unlock(hashtext('parley_shadow_messages'))`);
      other.release();
    }
  });
});
