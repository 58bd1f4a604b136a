// The sender's deadline against push services on loopback that this spec runs: one that answers
// at once, one that sends its headers and then trickles the body, one that trickles even its status
// line, one that never answers. A byte every 100 ms keeps a socket's idle timeout from ever firing;
// only a deadline on the whole exchange ends such a request.
import { createECDH, randomBytes } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import {
  WebPushSender,
  generateVapidKeyPair,
  judgeAttempt,
  type PushMessage,
  type StoredPushSubscription,
} from '@parley/push';

const DEADLINE_MS = 300;
const TRICKLE_EVERY_MS = 100;
/** The slow servers give up after this many bytes (bounded; without a deadline the answer comes then). */
const TRICKLE_BYTES_MAX = 40;

const sender = new WebPushSender({
  keys: { ...generateVapidKeyPair(), subject: 'mailto:tests@parley.invalid' },
  timeoutMs: DEADLINE_MS,
  allowLoopbackHttp: true,
});
const message: PushMessage = { payload: '{"v":1}', topic: 'topic', ttlSeconds: 60 };
const policy = { maxAttempts: 3, initialMs: 1_000, maxMs: 10_000 };

const subscriptionAt = (port: number): StoredPushSubscription => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    subscriptionId: 's1',
    userId: 'u1',
    endpoint: `http://127.0.0.1:${port}/push/s1`,
    p256dh: ecdh.getPublicKey().toString('base64url'),
    auth: randomBytes(16).toString('base64url'),
  };
};

/** Writes `text` a byte at a time, one every TRICKLE_EVERY_MS, until done or the peer is gone. */
const trickle = (write: (byte: string) => void, text: string, gone: () => boolean, done: () => void) => {
  let at = 0;
  const timer = setInterval(() => {
    if (gone() || at >= text.length) {
      clearInterval(timer);
      if (!gone()) done();
      return;
    }
    write(text.charAt(at++));
  }, TRICKLE_EVERY_MS);
  return timer;
};

describe('a push request has a deadline for the whole exchange', () => {
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let http: Server;
  let raw: TcpServer;
  let httpPort: number;
  let rawPort: number;

  beforeAll(async () => {
    http = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const mode = new URL(req.url ?? '/', 'http://push.test').searchParams.get('mode');
        if (mode === 'silent') return;
        if (mode !== 'trickle-body') return void res.writeHead(201).end();
        res.writeHead(201, { 'Content-Type': 'text/plain' });
        res.flushHeaders();
        timers.add(
          trickle(
            (byte) => res.write(byte),
            'x'.repeat(TRICKLE_BYTES_MAX),
            () => res.destroyed,
            () => res.end(),
          ),
        );
      });
    });
    // A status line and headers sent a byte at a time: no HTTP server library does that, a socket does.
    raw = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('data', () =>
        timers.add(
          trickle(
            (byte) => socket.write(byte),
            'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'.slice(0, TRICKLE_BYTES_MAX),
            () => socket.destroyed,
            () => socket.end(),
          ),
        ),
      );
    });
    await Promise.all([
      new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve)),
      new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve)),
    ]);
    httpPort = (http.address() as AddressInfo).port;
    rawPort = (raw.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const timer of timers) clearInterval(timer);
    for (const socket of sockets) socket.destroy();
    http.closeAllConnections();
    await Promise.all([
      new Promise((resolve) => http.close(resolve)),
      new Promise((resolve) => raw.close(resolve)),
    ]);
  });

  const timed = async (subscription: StoredPushSubscription, signal?: AbortSignal) => {
    const started = Date.now();
    const result = await sender.send(subscription, message, signal);
    return { result, tookMs: Date.now() - started };
  };

  const withMode = (port: number, mode: string): StoredPushSubscription => {
    const subscription = subscriptionAt(port);
    return { ...subscription, endpoint: `${subscription.endpoint}?mode=${mode}` };
  };

  it('given a push service that answers at once, then its answer', async () => {
    const { result } = await timed(subscriptionAt(httpPort));
    expect(result).toEqual({ kind: 'answered', status: 201 });
  });

  it.each([
    ['headers, then a body trickled a byte every 100 ms', () => withMode(httpPort, 'trickle-body')],
    ['even the status line trickled a byte every 100 ms', () => subscriptionAt(rawPort)],
    ['no answer at all', () => withMode(httpPort, 'silent')],
  ])(
    'given a push service that sends %s, then the request is cut at its deadline and counts as no answer (retried)',
    async (_what, subscription) => {
      const { result, tookMs } = await timed(subscription());
      expect(result).toEqual({ kind: 'no-answer', reason: `no complete answer within ${DEADLINE_MS} ms` });
      expect(tookMs).toBeGreaterThanOrEqual(DEADLINE_MS - 20);
      // Well before the slow answer would end by itself (4 s), with room for a loaded machine
      expect(tookMs).toBeLessThan((TRICKLE_BYTES_MAX * TRICKLE_EVERY_MS) / 2);
      expect(judgeAttempt(result, 1, policy, Date.now())).toMatchObject({ kind: 'retry' });
    },
  );

  it('given the notifier stopping during a slow answer, then the request ends at once, before its deadline', async () => {
    // A deadline far beyond the trickle's whole answer (4 s), so that only the stop can end the
    // request early; the 300 ms one left a loaded CI machine too little room (436 ms once).
    const patient = new WebPushSender({
      keys: { ...generateVapidKeyPair(), subject: 'mailto:tests@parley.invalid' },
      timeoutMs: 20_000,
      allowLoopbackHttp: true,
    });
    const stopping = new AbortController();
    setTimeout(() => stopping.abort(), 50);
    const started = Date.now();
    const result = await patient.send(withMode(httpPort, 'trickle-body'), message, stopping.signal);
    expect(result).toEqual({ kind: 'no-answer', reason: 'stopped' });
    expect(Date.now() - started).toBeLessThan((TRICKLE_BYTES_MAX * TRICKLE_EVERY_MS) / 2);
  });

  it('given many attempts with the same stop signal, then none leaves a listener on it', async () => {
    const stopping = new AbortController();
    await Promise.all([1, 2, 3].map(() => sender.send(subscriptionAt(httpPort), message, stopping.signal)));
    await sender.send(withMode(httpPort, 'silent'), message, stopping.signal);
    expect(getEventListeners(stopping.signal, 'abort')).toEqual([]);
  });
});
