import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { EventSerde, type ParleyEvent } from '@parley/events';
import { BatchingProducer, KafkaAdmin } from '@parley/kafka';
import { LagCollector, ServiceMetrics, dependencyChecks, startOpsServer } from '@parley/observability';
import { createLogger } from '@parley/logging';
import { ProjectionRunner, sql, type Projection } from '@parley/projections';
import { testPool, createTestWorld, waitFor, type TestWorld } from '@parley/testing';

/** Counts members per conversation; "poison" conversations fail for good (to the dead-letter topic). */
const members: Projection = {
  name: 'lag-probe',
  topics: ['chat.conversations'],
  tables: ['test_members'],
  apply(event) {
    if (event.type !== 'MemberAdded') return [];
    if (event.conversationId === 'poison') return [sql('SELECT 1/0')];
    return [
      sql(
        `INSERT INTO test_members (conversation_id, n) VALUES ($1, 1)
         ON CONFLICT (conversation_id) DO UPDATE SET n = test_members.n + 1`,
        event.conversationId,
      ),
    ];
  },
};

describe('observability: /healthz, /readyz, /metrics with lag', () => {
  let world: TestWorld;
  let pool: Pool;
  let serde: EventSerde;
  let producer: BatchingProducer;
  let admin: KafkaAdmin;
  let server: Server;
  let base: string;

  /** The runner's log lines, parsed. */
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger('test', 'info', {
    write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>),
  });

  const runner = () =>
    new ProjectionRunner({
      kafka: world.kafka,
      pool,
      serde,
      deadLetters: producer,
      projection: members,
      topicPrefix: world.prefix,
      logger,
    });

  const publish = async (count: number, conversationId = 'c1') => {
    const events: ParleyEvent[] = Array.from({ length: count }, (_, i) => ({
      type: 'MemberAdded',
      eventId: randomUUID(),
      occurredAt: Date.now(),
      conversationId,
      userId: `u${i}`,
      addedBy: 'x',
    }));
    const topic = world.topic('chat.conversations');
    await producer.send(
      await Promise.all(
        events.map(async (e) => ({ topic, key: conversationId, value: await serde.encode(e) })),
      ),
    );
  };

  /** The value of one sample of /metrics, by metric name and label subset; undefined when absent. */
  const sample = async (name: string, labels: Record<string, string>): Promise<number | undefined> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
        return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return undefined;
  };

  beforeAll(async () => {
    world = await createTestWorld('observability', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
    await pool.query('CREATE TABLE test_members (conversation_id text PRIMARY KEY, n integer NOT NULL)');
    serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    admin = new KafkaAdmin(world.kafka);
    await admin.connect();
    const metrics = new ServiceMetrics('test');
    server = startOpsServer(0, {
      metrics,
      lag: new LagCollector(metrics, { admin, pool, topicPrefix: world.prefix }, 0),
      checks: dependencyChecks({ pool, kafka: admin }),
    });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await admin.disconnect();
    await producer.disconnect();
    await pool.end();
    await world.dispose();
  });

  it('answers /healthz and /readyz, naming a dependency that does not answer', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', kafka: 'ok' } });

    const metrics = new ServiceMetrics('broken');
    const nowhere = testPool({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 500,
    });
    const broken = startOpsServer(0, { metrics, checks: dependencyChecks({ pool: nowhere, kafka: admin }) });
    await new Promise((resolve) => broken.once('listening', resolve));
    try {
      const answer = await fetch(`http://127.0.0.1:${(broken.address() as AddressInfo).port}/readyz`);
      expect(answer.status).toBe(503);
      const body = (await answer.json()) as { status: string; checks: Record<string, string> };
      expect(body.status).toBe('unavailable');
      expect(body.checks.kafka).toBe('ok');
      expect(body.checks.postgres).toMatch(/ECONNREFUSED|connect/);
    } finally {
      broken.close();
      await nowhere.end();
    }
  });

  it('shows consumer lag that grows while a worker is stopped and shrinks after it restarts', async () => {
    const group = `${world.prefix}parley.projection.lag-probe`;
    const topic = world.topic('chat.conversations');
    let worker = runner();
    await worker.start();
    await publish(20);
    await waitFor(async () => (await pool.query('SELECT n FROM test_members')).rows[0]?.n === 20, {
      what: 'the first 20 events applied',
    });
    const totalLag = async (name: string, labels: Record<string, string>) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
        )
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };
    // Offsets are committed about once a second.
    await waitFor(async () => (await totalLag('parley_consumer_lag', { group, topic })) === 0, {
      what: 'no lag while the worker runs',
    });

    await worker.stop();
    await publish(30);
    await waitFor(async () => (await totalLag('parley_consumer_lag', { group, topic })) === 30, {
      what: 'the lag of the stopped worker to show its 30 unread events',
    });
    expect(await totalLag('parley_projection_lag', { projection: 'lag-probe', topic })).toBe(30);

    worker = runner();
    await worker.start();
    await waitFor(async () => (await totalLag('parley_consumer_lag', { group, topic })) === 0, {
      what: 'the lag to shrink to 0 after the restart',
      timeoutMs: 30_000,
    });
    expect(await totalLag('parley_projection_lag', { projection: 'lag-probe', topic })).toBe(0);

    // A record that can never apply lands in the dead-letter topic, and the count shows it.
    await publish(1, 'poison');
    await waitFor(async () => (await sample('parley_dlq_records', { topic: `${topic}.dlq` })) === 1, {
      what: 'the dead-lettered record counted',
    });
    // The log line says which event it was, for correlation across services.
    expect(logLines.find((l) => l.msg === 'record sent to the dead-letter topic')).toMatchObject({
      service: 'test',
      type: 'MemberAdded',
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      reason: expect.stringContaining('division by zero'),
    });
    await worker.stop();
  });
});
