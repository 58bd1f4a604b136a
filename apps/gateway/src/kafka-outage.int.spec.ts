// Kafka down (kill -9 of a private broker this spec starts): sends are refused fast and clearly,
// /readyz names Kafka, and the same messageId goes through once the broker is back.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { clusterLayout, runningPid, startCluster, stopCluster } from '@parley/kafka-infra';
import { gatewayClients, type TestUser } from '../test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

/** A free port whose successor (the broker's controller port) is free too. */
async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const bound = (server.address() as { port: number }).port;
        server.close(() => resolve(bound));
      });
    });
  for (;;) {
    const port = await listen(0);
    if (port !== undefined && port < 65535 && (await listen(port + 1)) !== undefined) return port;
  }
}

const SEND_TIMEOUT_MS = 2_000;

describe('Kafka unavailable', () => {
  let fixture: GatewayFixture;
  const logs: string[] = [];
  const { call, register, connect, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);

  beforeAll(async () => {
    // A broker of its own: killing the shared one would break every other spec running meanwhile.
    const port = await freePortPair();
    process.env.PARLEY_KAFKA_PORT = String(port);
    process.env.KAFKA_BROKERS = `127.0.0.1:${port}`;
    await startCluster('single', (line) => logs.push(line));
    fixture = await startGatewayFixture('outage', {
      sendTimeoutMs: SEND_TIMEOUT_MS,
      kafkaReadiness: true,
      delivery: false,
    });
  }, 180_000); // a JVM starts (30-60 s on two busy cores), then the topics and the gateway

  afterAll(async () => {
    await closeAll();
    // The broker first: the fixture's clients then give up at once instead of waiting on it.
    await fixture?.dispose().catch(() => undefined);
    await stopCluster('single', (line) => logs.push(line));
  }, 120_000);

  const send = (user: TestUser, messageId: string, recipientId: string) =>
    fetch(`${fixture.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ messageId, recipientId, text: `outage ${messageId}` }),
    });

  it('answers 503 UNAVAILABLE with Retry-After within the deadline, UNAVAILABLE over STOMP, /readyz names kafka; after a restart the same messageId is recorded once', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const before = await send(ada, randomUUID(), bob.userId);
    expect(before.status).toBe(202);
    const stomp = await connect(ada);

    const broker = clusterLayout('single').nodes[0]!;
    process.kill(runningPid(broker)!, 'SIGKILL');
    await waitFor(() => runningPid(broker) === undefined, { what: 'the broker gone' });

    const messageId = randomUUID();
    const started = performance.now();
    const refused = await send(ada, messageId, bob.userId);
    const elapsedMs = Math.round(performance.now() - started);
    console.log(`Kafka down: HTTP send answered ${refused.status} after ${elapsedMs} ms`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const body = (await refused.json()) as { error: { code: string; retryAfterMs: number } };
    expect(body.error).toEqual(
      expect.objectContaining({ code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) as number }),
    );
    // 2 s by default, plus a margin for a loaded machine.
    expect(elapsedMs).toBeLessThanOrEqual(3_000);

    const stompMessageId = randomUUID();
    stomp.send(
      '/app/chat.send',
      { messageId: stompMessageId, recipientId: bob.userId, text: 'over STOMP' },
      { receipt: 'r-outage' },
    );
    const stompRefusal = await waitFor(() => stomp.errors.find((e) => e.messageId === stompMessageId), {
      what: 'the STOMP refusal',
      timeoutMs: 10_000,
    });
    expect(stompRefusal).toEqual(
      expect.objectContaining({ code: 'UNAVAILABLE', receiptId: 'r-outage', retryAfterMs: 1_000 }),
    );

    const ready = await fetch(`${fixture.opsUrl}/readyz`);
    const readiness = (await ready.json()) as { checks: Record<string, string> };
    expect(ready.status).toBe(503);
    expect(readiness.checks.kafka).not.toBe('ok');
    expect(readiness.checks.postgres).toBe('ok');

    await startCluster('single', (line) => logs.push(line));
    // The refused send freed its messageId: sending it again succeeds once the broker is back.
    const retried = await waitFor(
      async () => {
        const answer = await send(ada, messageId, bob.userId);
        return answer.status === 202 ? answer : undefined;
      },
      { what: 'the retried send accepted', timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(retried.status).toBe(202);
    const conversationId = ((await retried.json()) as { conversationId: string }).conversationId;
    const history = await waitFor(
      async () => {
        const page = await call('GET', `/v1/conversations/${conversationId}/messages`, ada.token);
        const items = (page.body?.messages ?? []) as { messageId: string }[];
        return items.some((m) => m.messageId === messageId) ? items : undefined;
      },
      { what: 'the message in history', timeoutMs: 60_000 },
    );
    expect(history.filter((m) => m.messageId === messageId)).toHaveLength(1);
    await waitFor(async () => (await fetch(`${fixture.opsUrl}/readyz`)).status === 200, {
      what: '/readyz ready again',
    });
  }, 240_000); // the broker restarts (30-60 s on two busy cores) and the group rejoins
});
