// Fuzzed STOMP over real WebSocket connections to a real gateway node: mutated frames and random
// bytes, cut at random points across WebSocket messages, in authenticated and unauthenticated
// sessions, while two well-behaved clients exchange messages. The gateway must not crash or leak,
// must answer bad input with a clear ERROR (never "internal error"), and must deliver the valid
// traffic. PARLEY_FUZZ_SOCKET_FRAMES sets the count (`npm run fuzz` raises it); PARLEY_FUZZ_SEED
// replays a run (the seed is printed).
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { FrameParser, SERVER_COMMANDS, encodeFrame } from '@parley/stomp';
import { CHAT_DESTINATIONS, REFRESH_DESTINATION, USER_QUEUES } from '@parley/stomp-gateway';
import { FuzzRandom, fuzzFrame, splitRandomly, type StompFuzzContext } from '@parley/testing';
import { gatewayClients, subscribeInbox, type TestUser } from '../test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

const FRAMES = Number(process.env.PARLEY_FUZZ_SOCKET_FRAMES ?? 25_000);
const SEED = Number(process.env.PARLEY_FUZZ_SEED ?? Math.floor(Math.random() * 0x7fff_ffff));
const MAX_FRAME = 64 * 1024;
/** Connections fuzzing at once, and frames each one sends. */
const PARALLEL = 8;
const FRAMES_PER_CONNECTION = 60;
/** Heap growth allowed over the run, after a full GC before and after (generous: it catches leaks per frame). */
const HEAP_BOUND_BYTES = 96 * 1024 * 1024;

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

interface Tally {
  connections: number;
  authenticated: number;
  framesSent: number;
  messagesSent: number;
  errorFrames: Map<string, number>;
  refusals: Map<string, number>;
  endedByClient: number;
  internal: string[];
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
/** An ERROR's message without the quoted input (so the table groups by kind). */
const kindOf = (message: string) => message.replace(/".*$/s, '"…"').slice(0, 60);

describe('STOMP fuzzing against a gateway node', () => {
  let fixture: GatewayFixture;
  const { register, connect, call, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => crashes.push(error);

  beforeAll(async () => {
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
    fixture = await startGatewayFixture('stomp-fuzz', { maxFrameBytes: MAX_FRAME });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
    await closeAll();
    await fixture.dispose();
  });

  const framesHandled = async () => {
    const text = await (await fetch(`${fixture.opsUrl}/metrics`)).text();
    return [...text.matchAll(/^parley_stomp_frames_total\{[^}]*\} (\d+)/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
  };

  /** One connection: CONNECT (or not), fuzzed frames cut across WebSocket messages, then an end. */
  async function fuzzConnection(
    rng: FuzzRandom,
    user: TestUser | undefined,
    context: StompFuzzContext,
    tally: Tally,
  ) {
    const ws = new WebSocket(`ws://127.0.0.1:${fixture.port}/ws`, ['v12.stomp']);
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const answers = new FrameParser({ maxFrameBytes: 16 * 1024 * 1024, commands: SERVER_COMMANDS });
    ws.on('message', (data: Buffer) => {
      for (const item of answers.push(data)) {
        if (item.kind !== 'frame') continue;
        const { command, headers, body } = item.frame;
        if (command === 'ERROR') {
          const message = headers.message ?? '';
          bump(tally.errorFrames, kindOf(message));
          if (/internal/i.test(message) || message === '') tally.internal.push(`ERROR ${message}`);
        } else if (command === 'MESSAGE' && headers.destination === '/user/queue/errors') {
          const code = String((JSON.parse(body.toString('utf8')) as { code?: unknown }).code);
          bump(tally.refusals, code);
          if (code === 'INTERNAL' || code === 'UNAVAILABLE') tally.internal.push(`refusal ${code}`);
        }
      }
    });
    const frames: Buffer[] = [];
    if (user) {
      // Most sessions hear their refusals; the subscription is itself one of the frames.
      frames.push(
        encodeFrame({
          command: 'CONNECT',
          headers: { 'accept-version': '1.2', host: 'parley', Authorization: `Bearer ${user.token}` },
          body: Buffer.alloc(0),
        }),
        encodeFrame({
          command: 'SUBSCRIBE',
          headers: { id: 'errors', destination: '/user/queue/errors' },
          body: Buffer.alloc(0),
        }),
      );
      tally.authenticated++;
    }
    const own = { ...context, ...(user ? { token: user.token } : {}) };
    // A protocol error ends the session and drops what it had not handled yet, so broken bytes come
    // in their own sessions; the others hold well-formed frames with absurd values, and reach deep.
    const broken = rng.chance(0.4);
    const count = broken ? FRAMES_PER_CONNECTION / 4 : FRAMES_PER_CONNECTION;
    const shape = broken ? { mutationRate: 0.5, closeRate: 0.2 } : { mutationRate: 0.005, closeRate: 0.005 };
    for (let i = 0; i < count; i++) {
      frames.push(fuzzFrame(rng, own, { ...shape, maxFrameBytes: MAX_FRAME }).bytes);
      tally.framesSent++;
    }
    for (const piece of splitRandomly(rng, Buffer.concat(frames), FRAMES_PER_CONNECTION * 2)) {
      if (ws.readyState !== WebSocket.OPEN) break;
      ws.send(piece, { binary: true });
      tally.messagesSent++;
    }
    tally.connections++;
    // A clean end if the stream is still intact; if the server waits for the rest of a frame, more
    // bytes than a frame may hold must make it answer ERROR and close. Either way the server ends it.
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.from('DISCONNECT\nreceipt:end\n\n\0'));
    const ended = await Promise.race([closed.then(() => true), delay(2_000).then(() => false)]);
    if (ended) return;
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.alloc(MAX_FRAME + 16, 'x'));
    const endedAfterPadding = await Promise.race([closed.then(() => true), delay(20_000).then(() => false)]);
    if (!endedAfterPadding) {
      tally.endedByClient++;
      ws.terminate();
    }
  }

  it(`given ${FRAMES} fuzzed frames over WebSocket connections, then the gateway stays up, answers clearly, does not leak, and delivers valid traffic`, async () => {
    const started = Date.now();
    const fuzzers = await Promise.all([register('fz1'), register('fz2'), register('fz3')]);
    const [alice, bob] = [await register('alice'), await register('bob')];
    const group = await call('POST', '/v1/conversations', fuzzers[0].token, {
      title: 'fuzz',
      memberIds: fuzzers.slice(1).map((u) => u.userId),
    });
    expect(group.status).toBe(201);
    const context: StompFuzzContext = {
      conversationIds: [group.body.conversationId as string],
      userIds: [...fuzzers, alice, bob].map((u) => u.userId),
      sendDestinations: [...CHAT_DESTINATIONS, REFRESH_DESTINATION],
      subscribeDestinations: USER_QUEUES.map((q) => `/user/queue/${q}`),
    };

    // The valid traffic: alice sends to bob all along, bob ACKs what arrives.
    const aliceStomp = await connect(alice);
    const bobStomp = await connect(bob);
    const inbox = subscribeInbox(bobStomp);
    const sentIds: string[] = [];
    let fuzzing = true;
    const valid = (async () => {
      while (fuzzing) {
        const messageId = randomUUID();
        await aliceStomp.sendWithReceipt(
          '/app/chat.send',
          { messageId, recipientId: bob.userId, text: `valid ${sentIds.length}` },
          30_000,
        );
        sentIds.push(messageId);
        await delay(100);
      }
    })();

    await delay(500);
    gc();
    const before = process.memoryUsage();
    const handledBefore = await framesHandled();
    const tally: Tally = {
      connections: 0,
      authenticated: 0,
      framesSent: 0,
      messagesSent: 0,
      errorFrames: new Map(),
      refusals: new Map(),
      endedByClient: 0,
      internal: [],
    };
    let lastReport = Date.now();
    try {
      await Promise.all(
        Array.from({ length: PARALLEL }, async (_, lane) => {
          const laneRng = new FuzzRandom(SEED + lane + 1);
          while (tally.framesSent < FRAMES) {
            // Three in four sessions authenticate (as one of the fuzzers); the rest never do.
            const user = laneRng.chance(0.75) ? laneRng.pick(fuzzers) : undefined;
            await fuzzConnection(laneRng, user, context, tally);
            if (Date.now() - lastReport > 5_000) {
              lastReport = Date.now();
              process.stdout.write(
                `stomp fuzz: ${tally.framesSent}/${FRAMES} frames, ${tally.connections} connections, ${Math.round((Date.now() - started) / 1000)} s\n`,
              );
            }
          }
        }),
      );
    } finally {
      fuzzing = false;
      await valid;
    }

    // Every valid message reached bob, and both well-behaved sessions are still there.
    await waitFor(() => sentIds.every((id) => inbox.some((item) => item.body.messageId === id)), {
      what: 'every valid message in bob’s inbox',
      timeoutMs: 30_000,
    });
    for (const item of inbox) item.message.ack();
    expect(aliceStomp.client.connected && bobStomp.client.connected).toBe(true);
    expect(aliceStomp.errors).toEqual([]);
    // Every fuzz session ended: only alice's and bob's remain.
    await waitFor(
      () => fixture.gateway.stomp.wss.clients.size === 2 && fixture.gateway.stomp.registry.size === 2,
      {
        what: 'only the two well-behaved sessions left',
      },
    );
    expect((await call('GET', '/v1/users/me', alice.token)).status).toBe(200);

    gc();
    const after = process.memoryUsage();
    const handled = (await framesHandled()) - handledBefore;
    const heapGrowth = after.heapUsed - before.heapUsed;
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    const rows: [string, string][] = [
      ['seed (PARLEY_FUZZ_SEED)', String(SEED)],
      ['frames sent over sockets', String(tally.framesSent)],
      ['frames handled by the gateway', String(handled)],
      ['WebSocket messages sent', String(tally.messagesSent)],
      ['connections (authenticated)', `${tally.connections} (${tally.authenticated})`],
      ['sessions the client had to end', String(tally.endedByClient)],
      ['valid messages delivered', `${sentIds.length} of ${sentIds.length}`],
      [
        'heap before / after / bound',
        `${mb(before.heapUsed)} / ${mb(after.heapUsed)} / +${mb(HEAP_BOUND_BYTES)}`,
      ],
      ['rss before / after', `${mb(before.rss)} / ${mb(after.rss)}`],
      ['time', `${((Date.now() - started) / 1000).toFixed(1)} s`],
      ...[...tally.errorFrames]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 12)
        .map(([k, n]): [string, string] => [`ERROR ${k}`, String(n)]),
      ...[...tally.refusals]
        .sort((x, y) => y[1] - x[1])
        .map(([k, n]): [string, string] => [`refused ${k}`, String(n)]),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(
      `\nSTOMP fuzz over sockets\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`,
    );

    expect(crashes).toEqual([]);
    expect(tally.internal.slice(0, 10)).toEqual([]);
    expect(tally.endedByClient).toBe(0);
    expect(tally.framesSent).toBeGreaterThanOrEqual(FRAMES);
    // A meaningful share of the frames reached the session (not only the first of each connection).
    expect(handled).toBeGreaterThan(FRAMES / 8); // 20-30 % seen
    expect(sentIds.length).toBeGreaterThan(5);
    expect(heapGrowth).toBeLessThan(HEAP_BOUND_BYTES);
  }, 600_000); // 25,000 frames take ~30 s on two busy cores; `npm run fuzz` sends ten times as many
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
