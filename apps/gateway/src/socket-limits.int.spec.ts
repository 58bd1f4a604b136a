// What one client address and one socket may hold on a gateway node: a cap on WebSocket connections
// per address (429 before the upgrade), and a bounded outbound buffer per socket (a client that stops
// reading is closed with SLOW_CONSUMER, its inbox items come again on its next connection).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { FrameParser, SERVER_COMMANDS, encodeFrame, type StompFrame } from '@parley/stomp';
import { gatewayClients, subscribeInbox, type TestUser } from '../test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

/** Small numbers, so the test fills them quickly. */
const MAX_CONNECTIONS_PER_IP = 3;
const MAX_BUFFERED_BYTES = 64 * 1024;

/** A STOMP client over a raw WebSocket: it can stop reading its socket, as a stalled device would. */
class RawStompClient {
  readonly frames: StompFrame<string>[] = [];
  readonly closed: Promise<number>;
  private readonly parser = new FrameParser({ maxFrameBytes: 1 << 20, commands: SERVER_COMMANDS });

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      for (const item of this.parser.push(data)) if (item.kind === 'frame') this.frames.push(item.frame);
    });
    this.closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
  }

  static async open(port: number, headers: Record<string, string> = {}): Promise<RawStompClient> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['v12.stomp'], { headers });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new RawStompClient(socket);
  }

  write(command: string, headers: Record<string, string>): void {
    this.socket.send(encodeFrame({ command, headers, body: Buffer.alloc(0) }));
  }

  /** The TCP socket stops (or resumes) reading: the kernel buffers fill, then the gateway's. */
  set reading(on: boolean) {
    const tcp = (this.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    if (on) tcp.resume();
    else tcp.pause();
  }
}

/** The status and body of a refused upgrade (ws reports it as 'unexpected-response'). */
function refusedUpgrade(port: number, headers: Record<string, string>) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['v12.stomp'], { headers });
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('unexpected-response', (_request, response: IncomingMessage) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
  });
}

describe('connections per client address and the outbound buffer of a socket', () => {
  let fixture: GatewayFixture;
  const { call, register, connect, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);
  const raw: RawStompClient[] = [];

  beforeAll(async () => {
    fixture = await startGatewayFixture('socket-limits', {
      // X-Forwarded-For from loopback is believed: the test plays clients at other addresses.
      trustProxy: ['loopback'],
      heartBeatMs: 1_000,
      sessionLimits: { maxConnectionsPerIp: MAX_CONNECTIONS_PER_IP, maxBufferedBytes: MAX_BUFFERED_BYTES },
      // No redelivery while the fresh connection's ACKs are on their way (duplicates would be ours).
      retry: { initialMs: 60_000, maxMs: 60_000 },
    });
  });

  afterEach(async () => {
    for (const client of raw.splice(0)) client.socket.terminate();
    await closeAll();
  });

  afterAll(() => fixture.dispose());

  it('given an address with as many connections as allowed, when it opens one more then 429 TOO_MANY_CONNECTIONS; other addresses and a freed slot are let in', async () => {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    for (let i = 0; i < MAX_CONNECTIONS_PER_IP; i++)
      raw.push(await RawStompClient.open(fixture.port, from('203.0.113.7')));

    const refused = await refusedUpgrade(fixture.port, from('203.0.113.7'));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'TOO_MANY_CONNECTIONS' });
    expect(refused.body.error.message).toMatch(/3 connections/);
    // The connection cap counts connections, not requests: HTTP from the same address still works.
    expect((await fetch(`${fixture.baseUrl}/healthz`, { headers: from('203.0.113.7') })).status).toBe(200);

    raw.push(await RawStompClient.open(fixture.port, from('203.0.113.8')));
    raw[0]!.socket.close();
    await raw[0]!.closed;
    await waitFor(
      () => fixture.gateway.stomp.connections.countOf('203.0.113.7') === MAX_CONNECTIONS_PER_IP - 1,
      {
        what: 'the closed connection gives its slot back',
      },
    );
    raw.push(await RawStompClient.open(fixture.port, from('203.0.113.7')));
  });

  const sendText = (from: TestUser, conversationId: string, text: string) =>
    call('POST', '/v1/messages', from.token, { messageId: randomUUID(), conversationId, text });

  it(
    'given a device that stops reading, when its inbox and a busy feed fill the buffer then SLOW_CONSUMER closes it, the buffer stays bounded, and its next connection gets every message once',
    async () => {
      const [ada, bob] = [await register('ada'), await register('bob')];
      const created = await call('POST', '/v1/conversations', ada.token, {
        title: 'Busy',
        memberIds: [bob.userId],
      });
      const conversationId = created.body.conversationId as string;

      const stalled = await RawStompClient.open(fixture.port);
      raw.push(stalled);
      stalled.write('CONNECT', {
        'accept-version': '1.2',
        host: 'parley',
        Authorization: `Bearer ${bob.token}`,
        'device-id': 'phone',
        // A heart-beat from the server every second: what cannot be dropped once the buffer is full.
        'heart-beat': '0,1000',
      });
      stalled.write('SUBSCRIBE', { id: 'in', destination: '/user/queue/messages', ack: 'client-individual' });
      stalled.write('SUBSCRIBE', { id: 'feed', destination: `/topic/conversation.${conversationId}` });
      stalled.write('SUBSCRIBE', { id: 'errors', destination: '/user/queue/errors', receipt: 'subscribed' });
      await waitFor(() => stalled.frames.some((f) => f.headers['receipt-id'] === 'subscribed'));
      const sessionOpen = () => fixture.gateway.stomp.registry.sessionsOf(bob.userId).length > 0;
      expect(sessionOpen()).toBe(true);
      stalled.reading = false;

      // 4,000 emoji: 16 KB of UTF-8 per message, in the inbox item and again on the live feed.
      const text = '📦'.repeat(4_000);
      const sent: string[] = [];
      let highestBuffered = 0;
      const sample = setInterval(() => {
        for (const socket of fixture.gateway.stomp.wss.clients)
          highestBuffered = Math.max(highestBuffered, socket.bufferedAmount);
      }, 5);
      try {
        // Enough to fill the kernel's buffers on both sides (a few MB on loopback) and then ours.
        for (let round = 0; round < 100 && sessionOpen(); round++) {
          const answers = await Promise.all(
            Array.from({ length: 10 }, () => sendText(ada, conversationId, text)),
          );
          for (const answer of answers) {
            expect(answer.status).toBe(202);
            sent.push(answer.body.messageId as string);
          }
        }
        await waitFor(() => !sessionOpen(), { what: 'the gateway ends the stalled session' });
      } finally {
        clearInterval(sample);
      }
      // Bounded: the cap, one frame written below it, and the ERROR (not megabytes of backlog).
      expect(highestBuffered).toBeLessThanOrEqual(MAX_BUFFERED_BYTES + 40 * 1024);
      // Sent after the close: waits in the inbox for the device's next connection.
      for (let i = 0; i < 3; i++)
        sent.push((await sendText(ada, conversationId, `after ${i}`)).body.messageId);

      // Reading again, the device finds ERROR SLOW_CONSUMER after what was written, then the close.
      stalled.reading = true;
      await stalled.closed;
      const last = stalled.frames.at(-1);
      expect(last?.command).toBe('ERROR');
      expect(last?.headers.message).toBe('SLOW_CONSUMER');
      expect(last?.body.toString()).toMatch(/delivered again on the next connection/);

      const fresh = await connect(bob, { 'device-id': 'phone' });
      const received = subscribeInbox(fresh);
      const acked = new Set<number>();
      await waitFor(
        () => {
          for (const item of received)
            if (!acked.has(item.position)) {
              acked.add(item.position);
              item.message.ack();
            }
          return new Set(received.map((item) => item.body.messageId)).size === sent.length;
        },
        { what: `${sent.length} messages on the next connection`, timeoutMs: 60_000 },
      );
      const ids = received.map((item) => item.body.messageId as string);
      expect(new Set(ids)).toEqual(new Set(sent));
      expect(ids).toHaveLength(sent.length);
    },
    // Hundreds of 16 KB sends through Kafka, projections and the inbox on two busy cores.
    180_000,
  );
});
