import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { gatewayClients, subscribeInbox, type TestUser } from '../test/gateway-clients';
import { TEST_JWT_SECRET, startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

describe('two gateway nodes; one killed with kill -9 while sessions are open', () => {
  let fixture: GatewayFixture;
  let other: ChildProcess | undefined;
  let otherUrl = '';
  const nodeA = gatewayClients(() => fixture.baseUrl);
  const nodeB = gatewayClients(() => otherUrl);
  const { call, register, waitFor } = nodeA;

  const send = async (from: TestUser, to: TestUser, text: string) => {
    const answer = await call('POST', '/v1/messages', from.token, {
      messageId: randomUUID(),
      recipientId: to.userId,
      text,
    });
    expect(answer.status).toBe(202);
  };

  beforeAll(async () => {
    fixture = await startGatewayFixture('failover', {
      presence: { sessionTtlMs: 3_000, offlineGraceMs: 500 },
    });
    const port = await freePort();
    const opsPort = await freePort();
    otherUrl = `http://127.0.0.1:${port}`;
    other = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'main.ts')], {
      env: {
        ...process.env,
        GATEWAY_PORT: String(port),
        GATEWAY_OPS_PORT: String(opsPort),
        TOPIC_PREFIX: fixture.world.prefix,
        REDIS_KEY_PREFIX: fixture.world.prefix,
        DATABASE_URL: fixture.world.databaseUrl,
        KAFKA_BROKERS: fixture.world.env.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: fixture.world.env.schemaRegistryUrl,
        REDIS_URL: fixture.world.env.redisUrl,
        JWT_SECRET: TEST_JWT_SECRET,
        PRESENCE_SESSION_TTL_MS: '3000',
        PRESENCE_OFFLINE_GRACE_MS: '500',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.ok,
      {
        what: 'the second gateway node',
        timeoutMs: 60_000,
      },
    );
  });

  afterAll(async () => {
    if (other && other.exitCode === null) other.kill('SIGKILL');
    await nodeA.closeAll();
    await nodeB.closeAll().catch(() => undefined);
    await fixture.dispose();
  });

  it('serves one user on both nodes; after the kill its users go offline, reconnect to the other node and lose nothing', async () => {
    const [ada, bob, carol, dave] = [
      await register('ada'),
      await register('bob'),
      await register('carol'),
      await register('dave'),
    ];
    await send(carol, bob, 'carol and bob share a conversation');

    // Dave has a device on each node: both get his messages.
    const daveA = subscribeInbox(await nodeA.connect(dave, { 'device-id': 'laptop' }));
    const daveB = subscribeInbox(await nodeB.connect(dave, { 'device-id': 'phone' }));
    await send(ada, dave, 'to both of dave’s devices');
    await waitFor(() => daveA.length >= 1 && daveB.length >= 1, { what: 'both devices' });
    expect(daveB[0]!.body.text).toBe('to both of dave’s devices');

    // Bob is on node B only, and has seen (ACKed) what was there before.
    const carolStomp = await nodeA.connect(carol);
    const notices: Record<string, any>[] = [];
    carolStomp.client.subscribe('/user/queue/presence', (m) => notices.push(JSON.parse(m.body)));
    const bobB = subscribeInbox(await nodeB.connect(bob, { 'device-id': 'phone' }));
    for (let i = 0; i < 3; i++) await send(ada, bob, `before ${i}`);
    await waitFor(() => new Set(bobB.map((r) => r.position)).size === 4, { what: 'bob’s first items' });
    for (const item of bobB) item.message.ack();
    await waitFor(async () => {
      const { rows } = await fixture.pool.query(
        `SELECT acked_position FROM device_positions WHERE user_id = $1 AND device_id = 'phone'`,
        [bob.userId],
      );
      return Number(rows[0]?.acked_position) === 4;
    });

    other!.kill('SIGKILL');
    await new Promise((r) => other!.once('exit', r));
    for (let i = 0; i < 10; i++) await send(ada, bob, `after ${i}`);

    // Nobody told node A that bob left: his sessions expire (3 s) and the sweep turns him offline.
    await waitFor(() => notices.some((n) => n.userId === bob.userId && n.status === 'offline'), {
      what: 'bob offline after the session TTL',
      timeoutMs: 15_000,
    });
    expect((await call('GET', `/v1/users/${dave.userId}/presence`, carol.token)).body.status).toBe('online');

    const bobA = subscribeInbox(await nodeA.connect(bob, { 'device-id': 'phone' }));
    await waitFor(() => new Set(bobA.map((r) => r.position)).size >= 10, {
      what: 'the 10 items sent meanwhile',
    });
    const texts = [...new Map(bobA.map((r) => [r.position, r.body.text as string])).values()];
    expect(texts).toEqual(Array.from({ length: 10 }, (_, i) => `after ${i}`));
  });
});
