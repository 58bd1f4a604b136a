import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Pool } from 'pg';
import { analyticsProjection, pruneAnalytics } from '@parley/analytics';
import { createAnalyticsApp } from '@parley/http-api';
import { TokenService } from '@parley/auth';
import { EventSerde, type ParleyEvent } from '@parley/events';
import { BatchingProducer, KafkaAdmin } from '@parley/kafka';
import { LagCollector, ServiceMetrics, dependencyChecks, opsMiddleware } from '@parley/observability';
import { ProjectionRunner } from '@parley/projections';
import { EventPublisher } from '@parley/publishing';
import { testPool, createTestWorld, waitFor, type TestWorld } from '@parley/testing';

const SECRET = 'analytics-test-secret-of-enough-length';
const MINUTE = 60_000;

describe('apps/analytics: its own consumer group, tables and HTTP API', () => {
  let world: TestWorld;
  let pool: Pool;
  let producer: BatchingProducer;
  let publisher: EventPublisher;
  let runner: ProjectionRunner;
  let admin: KafkaAdmin;
  let server: Server;
  let base: string;
  const tokens = new TokenService(SECRET);
  const adminId = randomUUID();
  const userId = randomUUID();
  let adminToken: string;
  // A whole minute an hour ago, so nothing else can land in it.
  const m0 = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE;
  const range = `from=${new Date(m0).toISOString()}&to=${new Date(m0 + 2 * MINUTE).toISOString()}`;

  const get = async (path: string, token: string | null = adminToken) => {
    const response = await fetch(
      `${base}${path}`,
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    );
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    world = await createTestWorld('analytics', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
    const serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    publisher = new EventPublisher(producer, serde, world.prefix);
    runner = new ProjectionRunner({
      kafka: world.kafka,
      pool,
      serde,
      deadLetters: producer,
      projection: analyticsProjection,
      topicPrefix: world.prefix,
      groupId: `${world.prefix}parley.analytics`,
    });
    await runner.start();
    await pool.query(`INSERT INTO username_claims (username, user_id) VALUES ('boss', $1), ('someone', $2)`, [
      adminId,
      userId,
    ]);
    adminToken = (await tokens.issue(adminId)).token;
    admin = new KafkaAdmin(world.kafka);
    await admin.connect();
    const metrics = new ServiceMetrics('analytics');
    const app = createAnalyticsApp({
      pool,
      tokens,
      adminUsernames: ['boss'],
      ops: opsMiddleware({
        metrics,
        lag: new LagCollector(metrics, { admin, pool, topicPrefix: world.prefix }),
        checks: dependencyChecks({ pool, kafka: admin }),
      }),
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await runner.stop();
    await producer.disconnect();
    await admin.disconnect();
    await pool.end();
    await world.dispose();
  });

  it('counts messages per minute, latency percentiles and active users, each event once', async () => {
    const conversationId = randomUUID();
    const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
    const meta = (at: number) => ({ eventId: randomUUID(), occurredAt: at });
    const sent = (messageId: string, at: number): ParleyEvent => ({
      type: 'MessageSent',
      ...meta(at),
      messageId,
      conversationId,
      senderId: alice,
      recipientId: bob,
      text: 'hi',
      replyToMessageId: null,
    });
    const delivered = (messageId: string, at: number): ParleyEvent => ({
      type: 'MessageDelivered',
      ...meta(at),
      messageId,
      conversationId,
      senderId: alice,
      recipientId: bob,
      deviceId: 'phone',
      seq: 0,
    });
    const [m1, m2, m3, m4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await publisher.publish([
      sent(m1, m0),
      sent(m2, m0 + 1_000),
      sent(m3, m0 + 2_000),
      sent(m1, m0 + 3_000), // a retried send: the same message
      delivered(m1, m0 + 100), // 100 ms
      delivered(m2, m0 + 2_000), // 1 s
      delivered(m3, m0 + 12_000), // 10 s
      delivered(m1, m0 + 5_000), // a second device: the first delivery counts
      // Read 30 s in: 29.9 s, 29 s and 18 s after delivery.
      { type: 'MessageRead', ...meta(m0 + 30_000), conversationId, readerId: bob, upToSeq: 2 ** 31 },
      { type: 'MessageRead', ...meta(m0 + 40_000), conversationId, readerId: bob, upToSeq: 2 ** 31 },
      sent(m4, m0 + MINUTE + 5_000),
    ]);
    await publisher.publish([
      {
        type: 'PresenceChanged',
        ...meta(m0 + MINUTE + 1_000),
        userId: carol,
        status: 'ONLINE',
        lastSeen: m0,
      },
      { type: 'PresenceChanged', ...meta(m0 + MINUTE + 2_000), userId: bob, status: 'OFFLINE', lastSeen: m0 },
    ]);

    const messages = await waitFor(
      async () => {
        const { body } = await get(`/v1/analytics/messages?${range}`);
        return body.total === 4 ? body : undefined;
      },
      { what: 'four messages counted' },
    );
    expect(messages.minutes).toEqual([
      { minute: new Date(m0).toISOString(), messages: 3 },
      { minute: new Date(m0 + MINUTE).toISOString(), messages: 1 },
    ]);

    const latency = await waitFor(
      async () => {
        const { body } = await get(`/v1/analytics/latency?${range}`);
        return body.deliverToRead?.count === 3 ? body : undefined;
      },
      { what: 'three reads measured' },
    );
    const near = (value: number, ms: number) => Math.abs(value - ms) / ms <= 0.05;
    expect(latency.sendToDeliver.count).toBe(3);
    expect(near(latency.sendToDeliver.p50, 1_000)).toBe(true);
    expect(near(latency.sendToDeliver.max, 10_000)).toBe(true);
    expect(near(latency.deliverToRead.p50, 29_000)).toBe(true);
    expect(near(latency.deliverToRead.max, 29_900)).toBe(true);

    await waitFor(async () => (await get(`/v1/analytics/active-users?${range}`)).body.activeUsers === 3, {
      what: 'alice (sent), bob (read) and carol (online) active; going offline is not activity',
    });
  }, 60_000);

  it('is for administrators with a valid token, and refuses a bad range clearly', async () => {
    expect(await get('/v1/analytics/messages', null)).toMatchObject({
      status: 401,
      body: { error: { code: 'TOKEN_MISSING' } },
    });
    expect(await get('/v1/analytics/messages', 'forged.token.value')).toMatchObject({ status: 401 });
    expect(await get('/v1/analytics/messages', (await tokens.issue(userId)).token)).toMatchObject({
      status: 403,
      body: { error: { code: 'FORBIDDEN' } },
    });
    expect(await get('/v1/analytics/latency?from=yesterday')).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_RANGE', message: expect.stringMatching(/ISO-8601/) } },
    });
    expect(
      await get(`/v1/analytics/messages?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`),
    ).toMatchObject({ status: 400, body: { error: { message: 'from must be before to' } } });
    expect(
      await get(`/v1/analytics/messages?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`),
    ).toMatchObject({ status: 400, body: { error: { message: 'the range may be at most 7 days' } } });
  });

  it('prunes per-message and per-user-minute rows past the retention, keeping the counts', async () => {
    const old = new Date(Date.now() - 40 * 24 * 3600 * 1000);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids)
      await pool.query(`INSERT INTO analytics_sent VALUES ($1, 'c-old', 1, $2)`, [id, old]);
    await pool.query(`INSERT INTO analytics_deliveries VALUES ($1, 'u', 'c-old', 1, $2, 2, false)`, [
      ids[0],
      old,
    ]);
    await pool.query(
      `INSERT INTO analytics_active_users VALUES (date_trunc('minute', $1::timestamptz), 'u-old')`,
      [old],
    );
    const counted = async () =>
      (await pool.query<{ n: string }>('SELECT count(*) AS n FROM analytics_minutes')).rows[0]!.n;
    const minutesBefore = await counted();
    const recentBefore = (await pool.query('SELECT 1 FROM analytics_sent WHERE sent_at > $1', [old]))
      .rowCount;

    // Batches of 2: the loop has to come back for the rest.
    const report = await pruneAnalytics(pool, new Date(Date.now() - 30 * 24 * 3600 * 1000), 2);
    expect(report).toEqual({ sent: 3, deliveries: 1, activeUsers: 1 });
    expect((await pool.query('SELECT 1 FROM analytics_sent WHERE sent_at <= $1', [old])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM analytics_sent WHERE sent_at > $1', [old])).rowCount).toBe(
      recentBefore,
    );
    expect(recentBefore).toBeGreaterThan(0);
    expect(await counted()).toBe(minutesBefore);
  });

  it('serves /metrics with its own consumer group among the lag series', async () => {
    // Lag shows once the group has committed (once a second).
    const text = await waitFor(
      async () => {
        const body = await (await fetch(`${base}/metrics`)).text();
        return body.includes(`parley_consumer_lag{group="${world.prefix}parley.analytics"`)
          ? body
          : undefined;
      },
      { what: 'the analytics group in parley_consumer_lag' },
    );
    expect(text).toMatch(
      /parley_http_requests_total\{method="GET",route="\/v1\/analytics\/messages",status="200",service="analytics"\} [1-9]/,
    );
  });
});
