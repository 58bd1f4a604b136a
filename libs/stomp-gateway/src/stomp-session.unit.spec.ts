import { DomainError } from '@parley/domain';
import type { Logger } from '@parley/logging';
import { FrameParser, SERVER_COMMANDS, encodeFrame } from '@parley/stomp';
import {
  LIVE_READY_TIMEOUT_MS,
  StompSession,
  type AuthenticatedUser,
  type InboxContext,
  type SendContext,
  type StompSessionDeps,
  type Transport,
} from './stomp-session';

// The session's state machine with a fake transport and fake collaborators: no sockets, no Redis,
// Kafka or PostgreSQL. What the session writes is parsed back with the libs/stomp parser, as a
// client would read it. The same paths over a real WebSocket: apps/gateway/src/stomp-session.int.spec.ts.

const USER = 'user-1';
const TOKEN = 'good.token';
const MAX_FRAME = 512;
const SERVER_HEART_BEAT = { sendMs: 1000, receiveMs: 2000 };

/** One thing the client saw: a frame (by command), a heart-beat (`EOL`) or the close of the socket. */
interface Out {
  readonly command: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The WebSocket message as sent (empty for a close). */
  readonly raw: string;
  /** Date.now() when it was sent (the fake clock in the heart-beat tests). */
  readonly at: number;
}

/** Records what the session sends and when it closes; every send must be one frame or one EOL. */
class FakeTransport implements Transport {
  private readonly out: Out[] = [];
  private cursor = 0;
  /** Messages sent after close() was called: a closed socket takes nothing. */
  readonly sentAfterClose: string[] = [];
  /** What the socket holds unsent (a test sets it to play a client that stopped reading). */
  waiting = 0;

  buffered(): number {
    return this.waiting;
  }

  send(data: Buffer | string): void {
    const raw = Buffer.isBuffer(data) ? data.toString('utf8') : data;
    if (this.closes > 0) this.sentAfterClose.push(raw);
    this.out.push(decode(data, Date.now()));
  }

  close(): void {
    this.out.push({ command: 'close', headers: {}, body: '', raw: '', at: Date.now() });
  }

  pauses = 0;
  resumes = 0;

  pause(): void {
    this.pauses++;
  }

  resume(): void {
    this.resumes++;
  }

  get closes(): number {
    return this.out.filter((o) => o.command === 'close').length;
  }

  /** Everything sent (and the close) since the last take. */
  take(): Out[] {
    const taken = this.out.slice(this.cursor);
    this.cursor = this.out.length;
    return taken;
  }

  /** The commands since the last take, e.g. `['RECEIPT']`, `['ERROR', 'close']`. */
  trace(): string[] {
    return this.take().map((o) => o.command);
  }

  /** Everything sent so far (a take does not hide it). */
  all(): readonly Out[] {
    return this.out;
  }
}

function decode(data: Buffer | string, at: number): Out {
  const raw = Buffer.isBuffer(data) ? data.toString('utf8') : data;
  if (raw === '\n') return { command: 'EOL', headers: {}, body: '', raw, at };
  const items = new FrameParser({ maxFrameBytes: 1 << 20, commands: SERVER_COMMANDS }).push(data);
  const [item] = items;
  if (items.length !== 1 || item?.kind !== 'frame')
    throw new Error(`a WebSocket message must hold exactly one frame: ${JSON.stringify(raw)}`);
  const { command, headers, body } = item.frame;
  return { command, headers, body: body.toString('utf8'), raw, at };
}

/** A client frame as bytes (CONNECT and STOMP unescaped, others escaped, like any client). */
function frame(command: string, headers: Record<string, string | undefined>, body = ''): Buffer {
  const defined = Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return encodeFrame({ command, headers: defined, body: Buffer.from(body) });
}

/** The ERROR frame as the client sees it. */
function errorOf(out: Out | undefined) {
  expect(out?.command).toBe('ERROR');
  return { message: out?.headers.message, receiptId: out?.headers['receipt-id'], body: out?.body };
}

/** Polls a condition that a timer of the session makes true (a few of its 20 ms ticks). */
async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}

/** Lets the session's promise chain run (every fake collaborator answers in microtasks). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function fakeFeed() {
  return {
    start: jest.fn(async (_fromPosition?: number) => undefined),
    ack: jest.fn((_position: number) => undefined),
    ackUpTo: jest.fn((_position: number) => undefined),
    nack: jest.fn((_position: number) => undefined),
    stop: jest.fn(() => undefined),
  };
}
type FakeFeed = ReturnType<typeof fakeFeed>;

/** The sessions of the running test, checked and closed after it. */
const harnesses: { session: StompSession; transport: FakeTransport }[] = [];

/** A session with fake collaborators; `deps` replaces any of them (undefined removes an optional one). */
function setup(deps: Partial<StompSessionDeps> = {}) {
  const transport = new FakeTransport();
  const inboxes: { context: InboxContext; feed: FakeFeed }[] = [];
  const userWatch = {
    deliver: undefined as ((queue: string, body: unknown) => void) | undefined,
    stop: jest.fn(() => undefined),
  };
  const conversationWatches: { conversationId: string; deliver: (body: unknown) => void; stop: jest.Mock }[] =
    [];
  const fakes = {
    authenticate: jest.fn(async (token: string | undefined): Promise<AuthenticatedUser> => {
      if (token === TOKEN) return { userId: USER };
      if (token === undefined)
        throw new DomainError('unauthenticated', 'TOKEN_MISSING', 'a bearer token is required');
      throw new DomainError('unauthenticated', 'TOKEN_INVALID', 'token is not valid');
    }),
    isMember: jest.fn(
      async (conversationId: string, userId: string) => conversationId === 'c-1' && userId === USER,
    ),
    handleSend: jest.fn(async (_context: SendContext): Promise<void> => undefined),
    openInbox: jest.fn((context: InboxContext) => {
      const feed = fakeFeed();
      inboxes.push({ context, feed });
      return feed;
    }),
    watchUser: jest.fn((_userId: string, deliver: (queue: string, body: unknown) => void) => {
      userWatch.deliver = deliver;
      return { ready: Promise.resolve(), stop: userWatch.stop };
    }),
    watchConversation: jest.fn((conversationId: string, deliver: (body: unknown) => void) => {
      const stop = jest.fn(() => undefined);
      conversationWatches.push({ conversationId, deliver, stop });
      return { ready: Promise.resolve(), stop };
    }),
    onOpen: jest.fn((_session: StompSession) => undefined),
    onClose: jest.fn((_session: StompSession) => undefined),
    observeFrame: jest.fn((_command: string) => undefined),
    logger: { error: jest.fn(), warn: jest.fn(), info: jest.fn() },
  };
  const session = new StompSession({
    ...fakes,
    logger: fakes.logger as unknown as Logger,
    transport,
    maxFrameBytes: MAX_FRAME,
    heartBeat: SERVER_HEART_BEAT,
    ...deps,
  });
  const harness = {
    ...fakes,
    session,
    transport,
    inboxes,
    userWatch,
    conversationWatches,
    /** Bytes from the socket, one chunk per WebSocket message, without waiting. */
    receive(...chunks: (Buffer | string)[]) {
      for (const chunk of chunks) session.receive(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    },
    /** One client frame, then the session's handling of it. */
    async send(command: string, headers: Record<string, string | undefined>, body = '') {
      session.receive(frame(command, headers, body));
      await settle();
    },
  };
  harnesses.push(harness);
  return harness;
}
type Harness = ReturnType<typeof setup>;

const connectHeaders = (headers: Record<string, string | undefined> = {}) => ({
  'accept-version': '1.2',
  host: 'parley',
  Authorization: `Bearer ${TOKEN}`,
  ...headers,
});

/** A session past CONNECTED (what it sent so far is taken). */
async function connected(
  headers: Record<string, string | undefined> = {},
  deps: Partial<StompSessionDeps> = {},
) {
  const h = setup(deps);
  await h.send('CONNECT', connectHeaders(headers));
  expect(h.transport.trace()).toEqual(['CONNECTED']);
  return h;
}

/** A subscription to /user/queue/errors (id `errors`), where refusals go. */
async function withErrorsQueue(h: Harness) {
  await h.send('SUBSCRIBE', { id: 'errors', destination: '/user/queue/errors' });
  expect(h.transport.trace()).toEqual([]);
}

/** The JSON body of the one MESSAGE on /user/queue/errors among `out`. */
function refusalIn(out: readonly Out[]) {
  const messages = out.filter((o) => o.command === 'MESSAGE');
  expect(messages.map((m) => m.headers.destination)).toEqual(['/user/queue/errors']);
  expect(messages[0]?.headers.subscription).toBe('errors');
  return JSON.parse(messages[0]?.body ?? 'null') as unknown;
}

afterEach(() => {
  for (const h of harnesses.splice(0)) {
    expect(h.transport.sentAfterClose).toEqual([]);
    h.session.closed(); // clears heart-beat timers of sessions a test left open
  }
  jest.useRealTimers();
});

describe('StompSession', () => {
  describe('given a session awaiting CONNECT', () => {
    it('when CONNECT carries a bearer token then CONNECTED has version 1.2, heart-beat, session, user-name and server', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders());
      const [connectedFrame, ...rest] = h.transport.take();
      expect(connectedFrame?.command).toBe('CONNECTED');
      expect(connectedFrame?.headers).toEqual({
        version: '1.2',
        'heart-beat': '1000,2000',
        session: h.session.id,
        'user-name': USER,
        server: 'parley/0.1',
      });
      expect(connectedFrame?.body).toBe('');
      expect(rest).toEqual([]);
      expect(h.session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(h.authenticate.mock.calls).toEqual([[TOKEN]]);
      expect(h.session.user).toBe(USER);
      expect(h.onOpen.mock.calls).toEqual([[h.session]]);
      expect(h.watchUser.mock.calls).toEqual([[USER, expect.any(Function)]]);
      expect(h.observeFrame.mock.calls).toEqual([['CONNECT']]);
    });

    it('when the live channel of the user is not ready yet then CONNECTED waits for it (a receipt published right after CONNECTED is not missed)', async () => {
      let live!: () => void;
      const ready = new Promise<void>((resolve) => (live = resolve));
      const h = setup({ watchUser: jest.fn(() => ({ ready, stop: jest.fn() })) });
      await h.send('CONNECT', connectHeaders());
      expect(h.transport.trace()).toEqual([]);
      expect(h.onOpen).not.toHaveBeenCalled();
      live();
      await settle();
      expect(h.transport.trace()).toEqual(['CONNECTED']);
      expect(h.onOpen).toHaveBeenCalledTimes(1);
    });

    it(`when the live channel never becomes ready (Redis away) then CONNECTED comes after ${LIVE_READY_TIMEOUT_MS} ms anyway`, async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
      try {
        const h = setup({
          watchUser: jest.fn(() => ({ ready: new Promise<void>(() => undefined), stop: jest.fn() })),
        });
        await h.send('CONNECT', connectHeaders());
        jest.advanceTimersByTime(LIVE_READY_TIMEOUT_MS - 1);
        await settle();
        expect(h.transport.trace()).toEqual([]);
        jest.advanceTimersByTime(1);
        await settle();
        expect(h.transport.trace()).toEqual(['CONNECTED']);
      } finally {
        jest.useRealTimers();
      }
    });

    it('when the socket closes while the live channel gets ready then no CONNECTED and the watch is stopped', async () => {
      let live!: () => void;
      const ready = new Promise<void>((resolve) => (live = resolve));
      const stop = jest.fn();
      const h = setup({ watchUser: jest.fn(() => ({ ready, stop })) });
      await h.send('CONNECT', connectHeaders());
      h.session.closed();
      live();
      await settle();
      expect(h.transport.trace()).toEqual([]);
      expect(stop).toHaveBeenCalled();
      expect(h.onOpen).not.toHaveBeenCalled();
    });

    it('when the command is STOMP instead of CONNECT then it is answered the same way', async () => {
      const h = setup();
      await h.send('STOMP', connectHeaders());
      const [out] = h.transport.take();
      expect(out?.command).toBe('CONNECTED');
      expect(out?.headers['user-name']).toBe(USER);
    });

    it.each([
      ['Authorization', `Bearer ${TOKEN}`],
      ['authorization', `Bearer ${TOKEN}`],
      ['Authorization', `bearer   ${TOKEN}`],
      ['passcode', TOKEN],
    ])('when the token comes as %s: "%s" then authenticate is given the token', async (header, value) => {
      const h = setup();
      await h.send('CONNECT', { 'accept-version': '1.2', [header]: value });
      expect(h.authenticate.mock.calls).toEqual([[TOKEN]]);
      expect(h.transport.trace()).toEqual(['CONNECTED']);
    });

    it('when both Authorization and passcode are given then the bearer token wins', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ passcode: 'other.token' }));
      expect(h.authenticate.mock.calls).toEqual([[TOKEN]]);
    });

    it('when the token is forged then ERROR with the code as message and the text as body, then close', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ Authorization: 'Bearer forged.token', receipt: 'c-1' }));
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0])).toEqual({
        message: 'TOKEN_INVALID',
        receiptId: 'c-1',
        body: 'token is not valid',
      });
      expect(h.authenticate.mock.calls).toEqual([['forged.token']]);
      expect(h.onOpen).not.toHaveBeenCalled();
      expect(h.onClose).not.toHaveBeenCalled(); // it never was open
      expect(h.watchUser).not.toHaveBeenCalled();
      expect(h.session.user).toBeUndefined();
    });

    it.each([
      ['no token at all', {}],
      ['an Authorization header that is not Bearer', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ])(
      'when CONNECT has %s then authenticate gets undefined and the answer is ERROR TOKEN_MISSING, then close',
      async (_what, headers) => {
        const h = setup();
        await h.send('CONNECT', { 'accept-version': '1.2', ...headers });
        expect(h.authenticate.mock.calls).toEqual([[undefined]]);
        const out = h.transport.take();
        expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
        expect(errorOf(out[0]).message).toBe('TOKEN_MISSING');
      },
    );

    it('when authenticate fails unexpectedly then ERROR "internal error", then close, and the failure is logged', async () => {
      const h = setup();
      h.authenticate.mockRejectedValueOnce(new Error('database down'));
      await h.send('CONNECT', connectHeaders());
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0])).toEqual({
        message: 'internal error',
        receiptId: undefined,
        body: 'internal error',
      });
      expect(h.logger.error).toHaveBeenCalledTimes(1);
    });

    it.each([
      ['1.2', '1.2'],
      ['1.0,1.1,1.2', '1.2'],
      ['1.2,1.1', '1.2'],
      ['1.1', '1.1'],
      ['1.0,1.1', '1.1'],
    ])('when accept-version is %s then CONNECTED has version %s', async (accept, version) => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ 'accept-version': accept }));
      const [out] = h.transport.take();
      expect(out?.command).toBe('CONNECTED');
      expect(out?.headers.version).toBe(version);
    });

    it.each([
      ['absent (STOMP 1.0)', undefined],
      ['1.0', '1.0'],
      ['2.0,3.0', '2.0,3.0'],
    ])(
      'when accept-version is %s then ERROR naming the versions spoken, then close, without authenticating',
      async (_what, accept) => {
        const h = setup();
        await h.send('CONNECT', connectHeaders({ 'accept-version': accept }));
        const out = h.transport.take();
        expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
        expect(errorOf(out[0])).toEqual({
          message: 'unsupported STOMP version',
          receiptId: undefined,
          body: 'this server speaks STOMP 1.1 and 1.2',
        });
        expect(h.authenticate).not.toHaveBeenCalled();
        expect(h.onOpen).not.toHaveBeenCalled();
      },
    );

    it('when CONNECT is refused then the message header holds nothing a client that does not unescape would misread', async () => {
      // Before CONNECTED, clients (stompjs among them) do not unescape headers: a `:` would read `\c`.
      const version = setup();
      await version.send('CONNECT', connectHeaders({ 'accept-version': '1.0' }));
      const device = setup();
      await device.send('CONNECT', connectHeaders({ 'device-id': 'my phone' }));
      for (const h of [version, device]) {
        const [error] = h.transport.take();
        const messageLine = error?.raw.split('\n').find((line) => line.startsWith('message:'));
        expect(messageLine).toMatch(/^message:[^\\:]+$/);
      }
    });

    it('when device-id is given then the session is that device', async () => {
      const h = await connected({ 'device-id': 'phone-1' });
      expect(h.session.device).toBe('phone-1');
    });

    it('when device-id is absent then the session is a device of its own, named after the session', async () => {
      const h = await connected();
      expect(h.session.device).toBe(`session:${h.session.id}`);
    });

    it('when device-id is not a valid id then ERROR INVALID_ID with the rule as body, then close', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ 'device-id': 'my phone' }));
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0])).toEqual({
        message: 'INVALID_ID',
        receiptId: undefined,
        body: 'device-id must be 1 to 64 of A-Z a-z 0-9 _ . : - (a UUID is recommended)',
      });
      expect(h.onOpen).not.toHaveBeenCalled();
    });

    it('when the heart-beat header is not two numbers then ERROR, then close', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ 'heart-beat': 'often' }));
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0]).message).toBe('invalid heart-beat header "often"');
    });

    it.each(['SUBSCRIBE', 'SEND', 'DISCONNECT'])(
      'when %s comes before CONNECT then ERROR "expected CONNECT", then close',
      async (command) => {
        const h = setup();
        await h.send(command, { id: 's-1', destination: '/user/queue/messages', receipt: 'r-0' });
        const out = h.transport.take();
        expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
        expect(errorOf(out[0])).toEqual({
          message: `expected CONNECT, got ${command}`,
          receiptId: 'r-0',
          body: `expected CONNECT, got ${command}`,
        });
        expect(h.authenticate).not.toHaveBeenCalled();
        expect(h.handleSend).not.toHaveBeenCalled();
      },
    );

    it('when a frame before CONNECT is refused then a CONNECT after it in the same message is ignored', async () => {
      const h = setup();
      h.receive(
        Buffer.concat([frame('SEND', { destination: '/app/chat.send' }), frame('CONNECT', connectHeaders())]),
      );
      await settle();
      expect(h.transport.trace()).toEqual(['ERROR', 'close']);
      expect(h.authenticate).not.toHaveBeenCalled();
    });

    it('when heart-beat EOLs come before CONNECT then they are ignored', async () => {
      const h = setup();
      h.receive('\n', '\r\n');
      await h.send('CONNECT', connectHeaders());
      expect(h.transport.trace()).toEqual(['CONNECTED']);
    });

    it('when CONNECT arrives split over several messages then it is answered once it is complete', async () => {
      const h = setup();
      const bytes = frame('CONNECT', connectHeaders());
      h.receive(bytes.subarray(0, 10));
      await settle();
      expect(h.transport.trace()).toEqual([]);
      h.receive(bytes.subarray(10, 30), bytes.subarray(30));
      await settle();
      expect(h.transport.trace()).toEqual(['CONNECTED']);
    });

    it('when CONNECT and SUBSCRIBE come in one message then CONNECTED comes first and the SUBSCRIBE is served after', async () => {
      const h = setup();
      h.receive(
        Buffer.concat([
          frame('CONNECT', connectHeaders()),
          frame('SUBSCRIBE', { id: 's-1', destination: '/user/queue/typing', receipt: 'r-1' }),
        ]),
      );
      await settle();
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['CONNECTED', 'RECEIPT']);
      expect(out[1]?.headers).toEqual({ 'receipt-id': 'r-1' });
    });
  });

  describe('given a connected session that breaks the protocol', () => {
    it('when a second CONNECT comes then ERROR "already connected", then close, and onClose once', async () => {
      const h = await connected();
      await h.send('CONNECT', connectHeaders({ receipt: 'again' }));
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0])).toEqual({
        message: 'already connected',
        receiptId: 'again',
        body: 'already connected',
      });
      expect(h.onClose.mock.calls).toEqual([[h.session]]);
      expect(h.authenticate).toHaveBeenCalledTimes(1);
    });

    it.each([
      ['an unknown command', 'LAUNCH\n\n\0', 'unknown command "LAUNCH"'],
      ['a header line without a colon', 'SEND\nno colon here\n\n\0', 'malformed header line "no colon here"'],
      [
        'an undefined escape',
        'SUBSCRIBE\nid:1\ndestination:/user/queue/\\x\n\n\0',
        'invalid escape sequence "\\x" in a header',
      ],
      ['a CR without LF', '\rX', 'carriage return not followed by a line feed'],
      [
        'an invalid content-length',
        'SEND\ndestination:/app/chat.send\ncontent-length:-1\n\n\0',
        'invalid content-length "-1"',
      ],
      [
        'a body longer than its content-length',
        'SEND\ndestination:/a\ncontent-length:1\n\nxy\0',
        'frame body is longer than its content-length',
      ],
    ])('when %s comes then ERROR naming it, then close', async (_what, bytes, message) => {
      const h = await connected();
      h.receive(bytes);
      await settle();
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0])).toEqual({ message, receiptId: undefined, body: message });
      expect(h.onClose).toHaveBeenCalledTimes(1);
      expect(h.handleSend).not.toHaveBeenCalled();
    });

    it.each(['BEGIN', 'COMMIT', 'ABORT'])(
      'when %s comes then ERROR "transactions are not supported", then close',
      async (command) => {
        const h = await connected();
        await h.send(command, { transaction: 't-1' });
        const out = h.transport.take();
        expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
        expect(errorOf(out[0]).message).toBe('transactions are not supported');
      },
    );

    const sendPrefix = 'SEND\ndestination:/app/chat.send\n\n';
    const sendOfSize = (bytes: number) => `${sendPrefix}${'x'.repeat(bytes - sendPrefix.length - 1)}\0`;

    it('when a frame is exactly maxFrameBytes then it is served', async () => {
      const h = await connected();
      expect(Buffer.byteLength(sendOfSize(MAX_FRAME))).toBe(MAX_FRAME);
      h.receive(sendOfSize(MAX_FRAME));
      await settle();
      expect(h.handleSend).toHaveBeenCalledTimes(1);
      expect(h.transport.trace()).toEqual([]);
    });

    it('when a frame is one byte over maxFrameBytes then ERROR, then close, and it is not served', async () => {
      const h = await connected();
      h.receive(sendOfSize(MAX_FRAME + 1));
      await settle();
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0]).message).toBe(`frame larger than the limit of ${MAX_FRAME} bytes`);
      expect(h.handleSend).not.toHaveBeenCalled();
    });

    it('when an unterminated frame grows past maxFrameBytes then ERROR at once, without waiting for its end', async () => {
      const h = await connected();
      h.receive(sendPrefix, 'x'.repeat(MAX_FRAME));
      await settle();
      expect(h.transport.trace()).toEqual(['ERROR', 'close']);
    });

    it('when a frame declares a content-length over the limit then ERROR before its body arrives', async () => {
      const h = await connected();
      h.receive(`SEND\ndestination:/app/chat.send\ncontent-length:${MAX_FRAME}\n\nxyz`);
      await settle();
      expect(h.transport.trace()).toEqual(['ERROR', 'close']);
    });

    it('when the socket sends more after the ERROR then nothing more is read or written', async () => {
      const h = await connected();
      h.receive('LAUNCH\n\n\0');
      await settle();
      expect(h.transport.trace()).toEqual(['ERROR', 'close']);
      h.receive(frame('SEND', { destination: '/app/chat.send', receipt: 'r-1' }));
      await settle();
      expect(h.transport.trace()).toEqual([]);
      expect(h.handleSend).not.toHaveBeenCalled();
    });

    it.each([
      ['SEND without destination', 'SEND', {}, 'SEND needs a "destination" header'],
      [
        'SUBSCRIBE without id',
        'SUBSCRIBE',
        { destination: '/user/queue/typing' },
        'SUBSCRIBE needs a "id" header',
      ],
      ['SUBSCRIBE without destination', 'SUBSCRIBE', { id: 's-1' }, 'SUBSCRIBE needs a "destination" header'],
      ['UNSUBSCRIBE without id', 'UNSUBSCRIBE', {}, 'UNSUBSCRIBE needs a "id" header'],
      ['ACK without id', 'ACK', {}, 'ACK needs a "id" header'],
      ['NACK with an empty id', 'NACK', { id: '' }, 'NACK needs a "id" header'],
    ])('when %s comes then ERROR naming the header, then close', async (_what, command, headers, message) => {
      const h = await connected();
      await h.send(command, { ...headers, receipt: 'r-x' });
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0])).toEqual({ message, receiptId: 'r-x', body: message });
    });

    it('when frames come then each is reported to observeFrame by command, in order', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/typing' });
      await h.send('ACK', { id: 'abc' });
      await h.send('DISCONNECT', {});
      expect(h.observeFrame.mock.calls).toEqual([['CONNECT'], ['SUBSCRIBE'], ['ACK'], ['DISCONNECT']]);
    });
  });

  describe('given negotiated heart-beats (fake clock)', () => {
    beforeEach(() => {
      // setImmediate stays real: settle() uses it to let the session's promises run.
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    });

    /** Connects with the client's heart-beat header, then lets 60 s of silence pass. */
    async function silentFor60s(clientHeader: string | undefined, heartBeat = SERVER_HEART_BEAT) {
      const h = setup({ heartBeat });
      await h.send('CONNECT', connectHeaders({ 'heart-beat': clientHeader }));
      const [connectedFrame] = h.transport.take();
      const t0 = Date.now();
      jest.advanceTimersByTime(60_000);
      const out = h.transport.take();
      const beats = out.filter((o) => o.command === 'EOL').map((o) => o.at - t0);
      const closedAfter = out.find((o) => o.command === 'close')?.at;
      return {
        h,
        connectedFrame,
        beats,
        closedAfter: closedAfter === undefined ? undefined : closedAfter - t0,
      };
    }

    // Server offers send every 1000 ms, receive every 2000 ms. Client `cx,cy`: can send every cx,
    // wants every cy. Server → client every max(1000, cy), client → server every max(2000, cx);
    // 0 on either side disables that direction.
    it.each([
      ['absent', undefined, 0, 0],
      ['0,0', '0,0', 0, 0],
      ['500,500', '500,500', 1000, 2000],
      ['5000,3000', '5000,3000', 3000, 5000],
      ['0,3000', '0,3000', 3000, 0],
      ['5000,0', '5000,0', 0, 5000],
      [' 100 , 100 ', ' 100 , 100 ', 1000, 2000],
    ])(
      'when the client says heart-beat %s then the server beats every %d ms and expects the client every %d ms',
      async (_what, clientHeader, outgoingMs, incomingMs) => {
        const { connectedFrame, beats, closedAfter } = await silentFor60s(clientHeader);
        expect(connectedFrame?.headers['heart-beat']).toBe('1000,2000'); // the server's offer, always
        if (outgoingMs === 0) {
          expect(beats).toEqual([]);
        } else {
          expect(beats[0]).toBeGreaterThanOrEqual(outgoingMs / 2);
          expect(beats[0]).toBeLessThanOrEqual(outgoingMs);
        }
        if (incomingMs === 0) {
          expect(closedAfter).toBeUndefined();
        } else {
          // Twice the agreed interval of silence, checked every half interval.
          expect(closedAfter).toBeGreaterThan(2 * incomingMs);
          expect(closedAfter).toBeLessThanOrEqual(2.5 * incomingMs);
        }
      },
    );

    it('when the server offers 0,0 then there are no heart-beats whatever the client asks', async () => {
      const { connectedFrame, beats, closedAfter } = await silentFor60s('500,500', {
        sendMs: 0,
        receiveMs: 0,
      });
      expect(connectedFrame?.headers['heart-beat']).toBe('0,0');
      expect(beats).toEqual([]);
      expect(closedAfter).toBeUndefined();
    });

    it('when the server has nothing else to send then it sends a bare EOL every agreed interval', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ 'heart-beat': '0,1000' }));
      h.transport.take();
      const t0 = Date.now();
      jest.advanceTimersByTime(10_000);
      const out = h.transport.take();
      expect(out.every((o) => o.command === 'EOL' && o.raw === '\n')).toBe(true);
      expect(out.map((o) => o.at - t0)).toEqual([
        1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000,
      ]);
    });

    it('when the server wrote a frame lately then that counts as a beat and the EOL waits', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ 'heart-beat': '0,1000' }));
      h.transport.take();
      const t0 = Date.now();
      jest.advanceTimersByTime(600);
      await h.send('UNSUBSCRIBE', { id: 'none', receipt: 'r-1' });
      jest.advanceTimersByTime(400);
      expect(h.transport.trace()).toEqual(['RECEIPT']); // at t0 + 1000: no EOL, the RECEIPT was 400 ms ago
      jest.advanceTimersByTime(1000);
      const beats = h.transport.take().map((o) => o.at - t0);
      expect(beats.length).toBe(1);
      expect(beats[0]).toBeGreaterThan(1000);
      expect(beats[0]).toBeLessThanOrEqual(1600);
    });

    it('when the client stays silent then it is closed after twice the agreed interval, without ERROR', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ 'heart-beat': '1000,0' })); // client → server every 2000
      h.transport.take();
      jest.advanceTimersByTime(4000);
      expect(h.transport.trace()).toEqual([]);
      expect(h.onClose).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1000);
      expect(h.transport.trace()).toEqual(['close']);
      expect(h.onClose.mock.calls).toEqual([[h.session]]);
      expect(h.userWatch.stop).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('when the client beats (EOLs or frames) then it stays open, and is closed once it falls silent', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ 'heart-beat': '1000,0' }));
      h.transport.take();
      for (let i = 0; i < 20; i++) {
        jest.advanceTimersByTime(1900);
        if (i % 2 === 0) h.receive('\n');
        else await h.send('ACK', { id: 'abc' });
      }
      expect(h.transport.trace()).toEqual([]);
      const lastBeat = Date.now();
      jest.advanceTimersByTime(5000);
      const [closed] = h.transport.take();
      expect(closed?.command).toBe('close');
      expect(closed!.at - lastBeat).toBeGreaterThan(4000);
      expect(closed!.at - lastBeat).toBeLessThanOrEqual(5000);
    });

    it('when the session closes then its heart-beat timers are gone', async () => {
      const h = setup();
      await h.send('CONNECT', connectHeaders({ 'heart-beat': '1000,1000' }));
      expect(jest.getTimerCount()).toBe(2);
      await h.send('DISCONNECT', {});
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('given a connected session that subscribes to its inbox', () => {
    it('when it subscribes with ack client-individual and from-position then the feed is opened and started after that position', async () => {
      const h = await connected({ 'device-id': 'phone-1' });
      await h.send('SUBSCRIBE', {
        id: 's-1',
        destination: '/user/queue/messages',
        ack: 'client-individual',
        'from-position': '42',
        receipt: 'r-1',
      });
      expect(h.openInbox.mock.calls).toEqual([
        [
          {
            userId: USER,
            deviceId: 'phone-1',
            autoAck: false,
            push: expect.any(Function),
            ready: expect.any(Function),
          },
        ],
      ]);
      expect(h.inboxes[0]?.feed.start.mock.calls).toEqual([[42]]);
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['RECEIPT']);
      expect(out[0]?.headers).toEqual({ 'receipt-id': 'r-1' });
    });

    it.each([
      [undefined, true],
      ['auto', true],
      ['client', false],
      ['client-individual', false],
    ])(
      'when ack is %s then the feed is opened with autoAck %s and starts at the stored position',
      async (ack, autoAck) => {
        const h = await connected();
        await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', ack });
        expect(h.inboxes.map((i) => i.context.autoAck)).toEqual([autoAck]);
        expect(h.inboxes[0]?.context.deviceId).toBe(`session:${h.session.id}`);
        expect(h.inboxes[0]?.feed.start.mock.calls).toEqual([[undefined]]);
      },
    );

    it('when the feed pushes an item then a MESSAGE carries ack, inbox-position and message-id inbox-<position>', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', ack: 'client-individual' });
      h.inboxes[0]?.context.push(7, { kind: 'message', messageId: 'm-7' });
      const [message, ...rest] = h.transport.take();
      expect(rest).toEqual([]);
      expect(message?.command).toBe('MESSAGE');
      expect(message?.headers).toEqual({
        destination: '/user/queue/messages',
        subscription: 's-1',
        'message-id': 'inbox-7',
        'content-type': 'application/json',
        ack: '7',
        'inbox-position': '7',
        'content-length': String(Buffer.byteLength(message?.body ?? '')),
      });
      expect(JSON.parse(message?.body ?? '')).toEqual({ kind: 'message', messageId: 'm-7' });
    });

    it('when the subscription is ack auto then its MESSAGEs carry no ack header', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages' });
      h.inboxes[0]?.context.push(3, { kind: 'deleted' });
      const [message] = h.transport.take();
      expect(message?.headers['inbox-position']).toBe('3');
      expect(message?.headers.ack).toBeUndefined();
    });

    it.each(['abc', '-1', '1.5', '1234567890123456'])(
      'when from-position is %s then INVALID_POSITION on /user/queue/errors, no feed, and the connection stays',
      async (fromPosition) => {
        const h = await connected();
        await withErrorsQueue(h);
        await h.send('SUBSCRIBE', {
          id: 's-1',
          destination: '/user/queue/messages',
          'from-position': fromPosition,
          receipt: 'r-1',
        });
        expect(refusalIn(h.transport.take())).toEqual({
          code: 'INVALID_POSITION',
          message: 'from-position must be a non-negative integer',
          receiptId: 'r-1',
        });
        expect(h.openInbox).not.toHaveBeenCalled();
        // Not subscribed: the same id can be used again.
        await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', receipt: 'r-2' });
        expect(h.transport.trace()).toEqual(['RECEIPT']);
      },
    );

    it('when the replay fails then UNAVAILABLE on /user/queue/errors, the feed is stopped and the same id can subscribe again', async () => {
      const h = await connected();
      await withErrorsQueue(h);
      h.openInbox.mockImplementationOnce((context: InboxContext) => {
        const feed = fakeFeed();
        feed.start.mockRejectedValueOnce(new Error('inbox store down'));
        h.inboxes.push({ context, feed });
        return feed;
      });
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', receipt: 'r-1' });
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['RECEIPT', 'MESSAGE']);
      expect(refusalIn(out)).toEqual({
        code: 'UNAVAILABLE',
        message: 'your inbox could not be read; subscribe again',
        receiptId: 'r-1',
      });
      expect(h.logger.error).toHaveBeenCalledTimes(1);
      expect(h.inboxes[0]?.feed.stop).toHaveBeenCalledTimes(1);
      expect(h.transport.closes).toBe(0);

      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', receipt: 'r-2' });
      expect(h.transport.trace()).toEqual(['RECEIPT']);
      expect(h.inboxes).toHaveLength(2);
      await h.send('ACK', { id: '5' });
      expect(h.inboxes[0]?.feed.ack).not.toHaveBeenCalled();
      expect(h.inboxes[1]?.feed.ack.mock.calls).toEqual([[5]]);
    });

    it('when there is no inbox (no openInbox) then the subscription is accepted and stays silent', async () => {
      const h = await connected({}, { openInbox: undefined });
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', receipt: 'r-1' });
      expect(h.transport.trace()).toEqual(['RECEIPT']);
      await h.send('ACK', { id: '1', receipt: 'r-2' });
      expect(h.transport.trace()).toEqual(['RECEIPT']);
    });

    it('when it unsubscribes then the feed is stopped once and the RECEIPT follows', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages' });
      await h.send('UNSUBSCRIBE', { id: 's-1', receipt: 'r-u' });
      expect(h.inboxes[0]?.feed.stop).toHaveBeenCalledTimes(1);
      const out = h.transport.take();
      expect(out.map((o) => [o.command, o.headers['receipt-id']])).toEqual([['RECEIPT', 'r-u']]);
      // ACKs no longer reach the stopped feed.
      await h.send('ACK', { id: '1' });
      expect(h.inboxes[0]?.feed.ack).not.toHaveBeenCalled();
    });

    it('when it unsubscribes and subscribes again with the same id then a new feed is opened', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages' });
      await h.send('UNSUBSCRIBE', { id: 's-1' });
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', receipt: 'r-2' });
      expect(h.transport.trace()).toEqual(['RECEIPT']);
      expect(h.openInbox).toHaveBeenCalledTimes(2);
    });
  });

  describe('given a connected session that subscribes to other destinations', () => {
    it("when the user watch delivers to a queue then only that queue's subscriptions get a JSON MESSAGE", async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 'q-r', destination: '/user/queue/receipts' });
      await h.send('SUBSCRIBE', { id: 'q-t', destination: '/user/queue/typing' });
      await h.send('SUBSCRIBE', { id: 'q-t2', destination: '/user/queue/typing' });
      h.userWatch.deliver?.('typing', { conversationId: 'c-1', userId: 'user-2' });
      h.userWatch.deliver?.('presence', { userId: 'user-2', status: 'online' }); // nobody subscribed
      const out = h.transport.take();
      expect(out.map((o) => [o.command, o.headers.destination, o.headers.subscription])).toEqual([
        ['MESSAGE', '/user/queue/typing', 'q-t'],
        ['MESSAGE', '/user/queue/typing', 'q-t2'],
      ]);
      expect(out[0]?.headers['content-type']).toBe('application/json');
      expect(out[0]?.headers['message-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(out[0]?.headers['message-id']).not.toBe(out[1]?.headers['message-id']);
      expect(JSON.parse(out[0]?.body ?? '')).toEqual({ conversationId: 'c-1', userId: 'user-2' });
    });

    it('when a non-member subscribes to a conversation then NOT_FOUND on /user/queue/errors, no feed, and the connection stays', async () => {
      const h = await connected();
      await withErrorsQueue(h);
      await h.send('SUBSCRIBE', { id: 'c', destination: '/topic/conversation.c-9', receipt: 'r-9' });
      expect(h.isMember.mock.calls).toEqual([['c-9', USER]]);
      expect(refusalIn(h.transport.take())).toEqual({
        code: 'NOT_FOUND',
        message: 'conversation c-9 not found',
        receiptId: 'r-9',
      });
      expect(h.watchConversation).not.toHaveBeenCalled();
      expect(h.transport.closes).toBe(0);
      await h.send('SUBSCRIBE', { id: 'c', destination: '/topic/conversation.c-1', receipt: 'r-1' });
      expect(h.transport.trace()).toEqual(['RECEIPT']); // the id was not taken by the refusal
    });

    it('when the conversation feed is not ready yet then the RECEIPT waits for it', async () => {
      let live!: () => void;
      const ready = new Promise<void>((resolve) => (live = resolve));
      const h = await connected({}, { watchConversation: jest.fn(() => ({ ready, stop: jest.fn() })) });
      await h.send('SUBSCRIBE', { id: 'conv', destination: '/topic/conversation.c-1', receipt: 'r-1' });
      expect(h.transport.trace()).toEqual([]);
      live();
      await settle();
      expect(h.transport.trace()).toEqual(['RECEIPT']);
    });

    it('when a member subscribes to a conversation then RECEIPT and its live feed arrives as MESSAGEs', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 'conv', destination: '/topic/conversation.c-1', receipt: 'r-1' });
      expect(h.transport.trace()).toEqual(['RECEIPT']);
      expect(h.watchConversation.mock.calls).toEqual([['c-1', expect.any(Function)]]);
      h.conversationWatches[0]?.deliver({ kind: 'typing', conversationId: 'c-1', userId: 'user-2' });
      const [message] = h.transport.take();
      expect(message?.command).toBe('MESSAGE');
      expect(message?.headers).toMatchObject({
        destination: '/topic/conversation.c-1',
        subscription: 'conv',
        'content-type': 'application/json',
      });
      expect(message?.headers.ack).toBeUndefined();
      expect(JSON.parse(message?.body ?? '')).toEqual({
        kind: 'typing',
        conversationId: 'c-1',
        userId: 'user-2',
      });
    });

    it('when it unsubscribes from a conversation then its watch is stopped once', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 'conv', destination: '/topic/conversation.c-1' });
      await h.send('UNSUBSCRIBE', { id: 'conv', receipt: 'r-u' });
      expect(h.conversationWatches[0]?.stop).toHaveBeenCalledTimes(1);
      expect(h.transport.trace()).toEqual(['RECEIPT']);
    });

    it('when membership cannot be checked then ERROR "internal error", then close, and it is logged', async () => {
      const h = await connected();
      h.isMember.mockRejectedValueOnce(new Error('database down'));
      await h.send('SUBSCRIBE', { id: 'conv', destination: '/topic/conversation.c-1' });
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0]).message).toBe('internal error');
      expect(h.logger.error).toHaveBeenCalledTimes(1);
    });

    it.each([
      '/queue/elsewhere',
      '/user/queue/secrets',
      '/topic/conversation.',
      '/topic/conversation.has space',
      '/app/chat.send',
    ])(
      'when it subscribes to %s then UNKNOWN_DESTINATION on /user/queue/errors and the connection stays',
      async (destination) => {
        const h = await connected();
        await withErrorsQueue(h);
        await h.send('SUBSCRIBE', { id: 'x', destination });
        expect(refusalIn(h.transport.take())).toEqual({
          code: 'UNKNOWN_DESTINATION',
          message: `cannot subscribe to ${destination}`,
        });
        expect(h.isMember).not.toHaveBeenCalled();
        expect(h.transport.closes).toBe(0);
      },
    );

    it('when it subscribes to a destination of 400 characters then the refusal quotes only its first 100', async () => {
      const h = await connected();
      await withErrorsQueue(h);
      const destination = `/queue/${'x'.repeat(393)}`;
      await h.send('SUBSCRIBE', { id: 'x', destination });
      expect(refusalIn(h.transport.take())).toEqual({
        code: 'UNKNOWN_DESTINATION',
        message: `cannot subscribe to ${destination.slice(0, 100)}…`,
      });
    });

    it('when a refusal has no /user/queue/errors subscription to go to then nothing is sent', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 'x', destination: '/queue/elsewhere', receipt: 'r-x' });
      expect(h.transport.trace()).toEqual([]);
    });

    it('when a subscription id is used twice then ERROR naming it, then close, and the first feed is stopped', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages' });
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/typing', receipt: 'r-2' });
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0])).toEqual({
        message: 'subscription id s-1 is already in use',
        receiptId: 'r-2',
        body: 'subscription id s-1 is already in use',
      });
      expect(h.inboxes[0]?.feed.stop).toHaveBeenCalledTimes(1);
      expect(h.onClose).toHaveBeenCalledTimes(1);
    });

    it("when the ack mode is not one of STOMP's then ERROR, then close", async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', ack: 'sometimes' });
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0]).message).toBe('invalid ack mode "sometimes"');
      expect(h.openInbox).not.toHaveBeenCalled();
    });

    it('when it unsubscribes an id it never used then RECEIPT and nothing else', async () => {
      const h = await connected();
      await h.send('UNSUBSCRIBE', { id: 'never', receipt: 'r-u' });
      const out = h.transport.take();
      expect(out.map((o) => [o.command, o.headers['receipt-id']])).toEqual([['RECEIPT', 'r-u']]);
    });
  });

  describe('given an inbox subscription, ACK and NACK', () => {
    async function inbox(ack: string) {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', ack });
      const feed = h.inboxes[0]!.feed;
      h.inboxes[0]!.context.push(7, { kind: 'message', messageId: 'm-7' });
      const [message] = h.transport.take();
      return { h, feed, ackId: message!.headers.ack! };
    }

    it('when the client ACKs the ack id of a MESSAGE (client-individual) then feed.ack gets that position', async () => {
      const { h, feed, ackId } = await inbox('client-individual');
      expect(ackId).toBe('7');
      await h.send('ACK', { id: ackId, receipt: 'a-1' });
      expect(feed.ack.mock.calls).toEqual([[7]]);
      expect(feed.ackUpTo).not.toHaveBeenCalled();
      expect(feed.nack).not.toHaveBeenCalled();
      const out = h.transport.take();
      expect(out.map((o) => [o.command, o.headers['receipt-id']])).toEqual([['RECEIPT', 'a-1']]);
    });

    it('when the client NACKs it then feed.nack gets that position', async () => {
      const { h, feed, ackId } = await inbox('client-individual');
      await h.send('NACK', { id: ackId });
      expect(feed.nack.mock.calls).toEqual([[7]]);
      expect(feed.ack).not.toHaveBeenCalled();
    });

    it('when the subscription is ack client (cumulative) then ACK means everything up to it: feed.ackUpTo', async () => {
      const { h, feed } = await inbox('client');
      await h.send('ACK', { id: '9' });
      expect(feed.ackUpTo.mock.calls).toEqual([[9]]);
      expect(feed.ack).not.toHaveBeenCalled();
      await h.send('NACK', { id: '9' });
      expect(feed.nack.mock.calls).toEqual([[9]]);
    });

    it('when the ACK id is a position never sent then the feed is told anyway (it decides)', async () => {
      const { h, feed } = await inbox('client-individual');
      await h.send('ACK', { id: '123' });
      expect(feed.ack.mock.calls).toEqual([[123]]);
    });

    it.each(['abc', 'inbox-7', '-1', '1234567890123456'])(
      'when the ACK id is %s (not a position) then it is ignored, with its RECEIPT, and the connection stays',
      async (id) => {
        const { h, feed } = await inbox('client-individual');
        await h.send('ACK', { id, receipt: 'a-1' });
        await h.send('NACK', { id });
        expect(feed.ack).not.toHaveBeenCalled();
        expect(feed.nack).not.toHaveBeenCalled();
        expect(feed.ackUpTo).not.toHaveBeenCalled();
        expect(h.transport.trace()).toEqual(['RECEIPT']);
      },
    );

    it('when the replay has not finished then ACKs still reach the feed', async () => {
      const h = await connected();
      const replay = deferred();
      h.openInbox.mockImplementationOnce((context: InboxContext) => {
        const feed = fakeFeed();
        feed.start.mockReturnValueOnce(replay.promise.then(() => undefined));
        h.inboxes.push({ context, feed });
        return feed;
      });
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages', ack: 'client-individual' });
      h.inboxes[0]?.context.push(1, {});
      await h.send('ACK', { id: '1', receipt: 'a-1' });
      expect(h.inboxes[0]?.feed.ack.mock.calls).toEqual([[1]]);
      expect(h.transport.trace()).toEqual(['MESSAGE', 'RECEIPT']);
      replay.resolve();
    });
  });

  describe('given a connected session that SENDs', () => {
    const body = JSON.stringify({ messageId: 'm-1', conversationId: 'c-1', text: 'hello' });

    it('when handleSend is still working then no RECEIPT; once it resolves then the RECEIPT', async () => {
      const h = await connected({ 'device-id': 'phone-1' });
      const done = deferred();
      h.handleSend.mockReturnValueOnce(done.promise);
      await h.send(
        'SEND',
        { destination: '/app/chat.send', 'content-type': 'application/json', receipt: 'r-1' },
        body,
      );
      expect(h.handleSend.mock.calls).toEqual([
        [
          {
            userId: USER,
            deviceId: 'phone-1',
            sessionId: h.session.id,
            destination: '/app/chat.send',
            body: Buffer.from(body),
          },
        ],
      ]);
      expect(h.transport.trace()).toEqual([]);
      done.resolve();
      await settle();
      const out = h.transport.take();
      expect(out.map((o) => [o.command, o.headers['receipt-id']])).toEqual([['RECEIPT', 'r-1']]);
    });

    it('when a SEND has no receipt header then nothing is sent on success', async () => {
      const h = await connected();
      await h.send('SEND', { destination: '/app/chat.read' }, '{}');
      expect(h.handleSend).toHaveBeenCalledTimes(1);
      expect(h.transport.trace()).toEqual([]);
    });

    it('when handleSend refuses (DomainError) then the refusal goes to /user/queue/errors with receiptId and messageId, no RECEIPT, and the connection stays', async () => {
      const h = await connected();
      await withErrorsQueue(h);
      h.handleSend.mockRejectedValueOnce(
        new DomainError('not_found', 'NOT_FOUND', 'conversation c-1 not found'),
      );
      await h.send('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, body);
      expect(refusalIn(h.transport.take())).toEqual({
        code: 'NOT_FOUND',
        message: 'conversation c-1 not found',
        receiptId: 'r-1',
        messageId: 'm-1',
      });
      expect(h.transport.closes).toBe(0);
      await h.send('SEND', { destination: '/app/chat.send', receipt: 'r-2' }, body);
      expect(h.transport.trace()).toEqual(['RECEIPT']);
    });

    it('when the refusal is RATE_LIMITED then retryAfterMs comes with it', async () => {
      const h = await connected();
      await withErrorsQueue(h);
      h.handleSend.mockRejectedValueOnce(
        new DomainError('rate_limited', 'RATE_LIMITED', 'too many messages', { retryAfterMs: 1500 }),
      );
      await h.send('SEND', { destination: '/app/chat.send' }, body);
      expect(refusalIn(h.transport.take())).toEqual({
        code: 'RATE_LIMITED',
        message: 'too many messages',
        messageId: 'm-1',
        retryAfterMs: 1500,
      });
    });

    it.each([
      ['not JSON', 'hello'],
      ['JSON without a messageId', '{"text":"hi"}'],
      ['a messageId that is not a string', '{"messageId":7}'],
    ])('when the refused body is %s then the refusal has no messageId', async (_what, refusedBody) => {
      const h = await connected();
      await withErrorsQueue(h);
      h.handleSend.mockRejectedValueOnce(new DomainError('invalid', 'INVALID_JSON', 'the body is not JSON'));
      await h.send('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, refusedBody);
      expect(refusalIn(h.transport.take())).toEqual({
        code: 'INVALID_JSON',
        message: 'the body is not JSON',
        receiptId: 'r-1',
      });
    });

    it('when handleSend fails unexpectedly then UNAVAILABLE on /user/queue/errors, logged with the messageId, and the connection stays', async () => {
      const h = await connected();
      await withErrorsQueue(h);
      h.handleSend.mockRejectedValueOnce(new Error('kafka down'));
      await h.send('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, body);
      expect(refusalIn(h.transport.take())).toEqual({
        code: 'UNAVAILABLE',
        message:
          'the request was not recorded (a service is unavailable); send it again, with the same messageId',
        receiptId: 'r-1',
        messageId: 'm-1',
      });
      expect(h.logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ messageId: 'm-1', destination: '/app/chat.send', session: h.session.id }),
        'SEND failed',
      );
      expect(h.transport.closes).toBe(0);
    });

    it('when nothing serves SEND (no handleSend) then UNKNOWN_DESTINATION on /user/queue/errors', async () => {
      const h = await connected({}, { handleSend: undefined });
      await withErrorsQueue(h);
      await h.send('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, body);
      expect(refusalIn(h.transport.take())).toEqual({
        code: 'UNKNOWN_DESTINATION',
        message: 'nothing is served at /app/chat.send',
        receiptId: 'r-1',
        messageId: 'm-1',
      });
    });

    it('when several SENDs come at once then each reaches handleSend in frame order without waiting for the one before, and each RECEIPT comes when its own send is done', async () => {
      const h = await connected();
      const first = deferred();
      h.handleSend.mockReturnValueOnce(first.promise);
      h.receive(
        Buffer.concat([
          frame('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, '{"messageId":"m-1"}'),
          frame('SEND', { destination: '/app/chat.send', receipt: 'r-2' }, '{"messageId":"m-2"}'),
        ]),
        frame('UNSUBSCRIBE', { id: 'none', receipt: 'r-3' }),
      );
      await settle();
      expect(h.handleSend.mock.calls.map(([context]) => context.body.toString())).toEqual([
        '{"messageId":"m-1"}',
        '{"messageId":"m-2"}',
      ]);
      // m-2 and the UNSUBSCRIBE did not wait for m-1.
      expect(
        h.transport
          .take()
          .map((o) => o.headers['receipt-id'])
          .sort(),
      ).toEqual(['r-2', 'r-3']);
      first.resolve();
      await settle();
      expect(h.transport.take().map((o) => o.headers['receipt-id'])).toEqual(['r-1']);
    });

    it('when a protocol violation arrives behind SENDs in progress then ERROR at once, and no RECEIPT follows when they finish', async () => {
      const h = await connected();
      const first = deferred();
      const second = deferred();
      h.handleSend.mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise);
      h.receive(frame('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, '{"messageId":"m-1"}'));
      h.receive(frame('SEND', { destination: '/app/chat.send', receipt: 'r-2' }, '{"messageId":"m-2"}'));
      await settle();
      h.receive('LAUNCH\n\n\0');
      expect(h.transport.trace()).toEqual(['ERROR', 'close']);
      first.resolve();
      second.resolve();
      await settle();
      expect(h.transport.trace()).toEqual([]);
      expect(h.handleSend).toHaveBeenCalledTimes(2);
    });

    it('when as many SENDs are in progress as the limit allows then the socket is paused, the next SEND waits, and reading resumes when one is done', async () => {
      const h = await connected({}, { limits: { maxSendsInFlight: 2 } });
      const sends = [deferred(), deferred(), deferred()];
      for (const send of sends) h.handleSend.mockReturnValueOnce(send.promise);
      for (const id of ['m-1', 'm-2', 'm-3'])
        h.receive(frame('SEND', { destination: '/app/chat.send', receipt: id }, `{"messageId":"${id}"}`));
      await settle();
      expect(h.handleSend).toHaveBeenCalledTimes(2);
      expect({ pauses: h.transport.pauses, resumes: h.transport.resumes }).toEqual({ pauses: 1, resumes: 0 });

      sends[1]?.resolve();
      await settle();
      expect(h.handleSend).toHaveBeenCalledTimes(3);
      expect(h.transport.resumes).toBe(1);
      expect(h.transport.take().map((o) => o.headers['receipt-id'])).toEqual(['m-2']);
      sends[0]?.resolve();
      sends[2]?.resolve();
      await settle();
      expect(h.transport.take().map((o) => o.headers['receipt-id'])).toEqual(['m-1', 'm-3']);
    });

    it('when DISCONNECT arrives behind a SEND in progress then its RECEIPT waits for that SEND to be done', async () => {
      const h = await connected();
      const first = deferred();
      h.handleSend.mockReturnValueOnce(first.promise);
      h.receive(frame('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, '{"messageId":"m-1"}'));
      h.receive(frame('DISCONNECT', { receipt: 'bye' }));
      await settle();
      expect(h.transport.trace()).toEqual([]);
      first.resolve();
      await settle();
      expect(h.transport.take().map((o) => [o.command, o.headers['receipt-id'] ?? ''])).toEqual([
        ['RECEIPT', 'r-1'],
        ['RECEIPT', 'bye'],
        ['close', ''],
      ]);
    });
  });

  describe('given a connected session with subscriptions that DISCONNECTs', () => {
    async function busy() {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages' });
      await h.send('SUBSCRIBE', { id: 'conv', destination: '/topic/conversation.c-1' });
      await h.send('SUBSCRIBE', { id: 'q-t', destination: '/user/queue/typing' });
      return h;
    }

    it('when DISCONNECT asks for a receipt then RECEIPT, then close; onClose once; every feed and watch stopped once', async () => {
      const h = await busy();
      await h.send('DISCONNECT', { receipt: 'bye-1' });
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['RECEIPT', 'close']);
      expect(out[0]?.raw).toBe('RECEIPT\nreceipt-id:bye-1\n\n\0');
      expect(h.onClose.mock.calls).toEqual([[h.session]]);
      expect(h.inboxes[0]?.feed.stop).toHaveBeenCalledTimes(1);
      expect(h.conversationWatches[0]?.stop).toHaveBeenCalledTimes(1);
      expect(h.userWatch.stop).toHaveBeenCalledTimes(1);
    });

    it('when DISCONNECT has no receipt then only close', async () => {
      const h = await busy();
      await h.send('DISCONNECT', {});
      expect(h.transport.trace()).toEqual(['close']);
    });

    it('when the socket reports the close afterwards then onClose is not called again and nothing more is sent', async () => {
      const h = await busy();
      await h.send('DISCONNECT', { receipt: 'bye-1' });
      h.transport.take();
      h.session.closed(); // the WebSocket's close event
      expect(h.onClose).toHaveBeenCalledTimes(1);
      h.userWatch.deliver?.('typing', { conversationId: 'c-1', userId: 'user-2' });
      h.conversationWatches[0]?.deliver({ kind: 'typing' });
      h.inboxes[0]?.context.push(1, {});
      h.session.kick('ACCOUNT_DISABLED', 'the account is disabled');
      await h.send('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, '{}');
      expect(h.transport.trace()).toEqual([]);
      expect(h.handleSend).not.toHaveBeenCalled();
      expect(h.transport.closes).toBe(1);
    });

    it('when frames follow DISCONNECT in the same message then they are not served', async () => {
      const h = await busy();
      h.receive(
        Buffer.concat([frame('DISCONNECT', {}), frame('SEND', { destination: '/app/chat.send' }, '{}')]),
      );
      await settle();
      expect(h.transport.trace()).toEqual(['close']);
      expect(h.handleSend).not.toHaveBeenCalled();
    });
  });

  describe('given a session ended from outside', () => {
    it('when the socket closes then onClose once, every feed and watch stopped, and the socket is not closed again', async () => {
      const h = await connected();
      await h.send('SUBSCRIBE', { id: 's-1', destination: '/user/queue/messages' });
      await h.send('SUBSCRIBE', { id: 'conv', destination: '/topic/conversation.c-1' });
      h.session.closed();
      expect(h.onClose.mock.calls).toEqual([[h.session]]);
      expect(h.inboxes[0]?.feed.stop).toHaveBeenCalledTimes(1);
      expect(h.conversationWatches[0]?.stop).toHaveBeenCalledTimes(1);
      expect(h.userWatch.stop).toHaveBeenCalledTimes(1);
      expect(h.transport.trace()).toEqual([]);
    });

    it('when the socket closes before CONNECT then onClose is not called and later bytes are ignored', async () => {
      const h = setup();
      h.session.closed();
      await h.send('CONNECT', connectHeaders());
      expect(h.onClose).not.toHaveBeenCalled();
      expect(h.authenticate).not.toHaveBeenCalled();
      expect(h.transport.trace()).toEqual([]);
    });

    it('when the session is kicked then ERROR with the code as message and the text as body, then close', async () => {
      const h = await connected();
      h.session.kick('ACCOUNT_DISABLED', 'the account is disabled');
      const out = h.transport.take();
      expect(out.map((o) => o.command)).toEqual(['ERROR', 'close']);
      expect(errorOf(out[0])).toEqual({
        message: 'ACCOUNT_DISABLED',
        receiptId: undefined,
        body: 'the account is disabled',
      });
      expect(h.onClose).toHaveBeenCalledTimes(1);
    });
  });

  describe('given a request still in progress when the socket closes', () => {
    beforeEach(() => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    });

    it('when authenticate resolves after the close then the session does not come alive: no CONNECTED, onOpen, user watch or timers', async () => {
      const h = setup();
      const auth = deferred<AuthenticatedUser>();
      h.authenticate.mockReturnValueOnce(auth.promise);
      await h.send('CONNECT', connectHeaders({ 'heart-beat': '1000,1000' }));
      h.session.closed();
      auth.resolve({ userId: USER });
      await settle();
      expect(h.transport.trace()).toEqual([]);
      expect(h.onOpen).not.toHaveBeenCalled();
      expect(h.onClose).not.toHaveBeenCalled();
      expect(h.watchUser).not.toHaveBeenCalled();
      expect(jest.getTimerCount()).toBe(0);
    });

    it('when the membership check resolves after the close then no conversation watch is left running', async () => {
      const h = await connected();
      const member = deferred<boolean>();
      h.isMember.mockReturnValueOnce(member.promise);
      await h.send('SUBSCRIBE', { id: 'conv', destination: '/topic/conversation.c-1', receipt: 'r-1' });
      h.session.closed();
      member.resolve(true);
      await settle();
      const running = h.conversationWatches.filter((w) => w.stop.mock.calls.length === 0);
      expect(running).toEqual([]);
      expect(h.transport.trace()).toEqual([]);
    });

    it('when handleSend resolves after the close then no RECEIPT is written', async () => {
      const h = await connected();
      const done = deferred();
      h.handleSend.mockReturnValueOnce(done.promise);
      await h.send('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, '{}');
      h.session.closed();
      done.resolve();
      await settle();
      expect(h.transport.trace()).toEqual([]);
    });
  });

  describe('given the limits a session lives within', () => {
    it('when no CONNECT arrives before the deadline then ERROR CONNECT_TIMEOUT and close; a CONNECT in time clears it', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
      const silent = setup({ limits: { connectTimeoutMs: 500 } });
      jest.advanceTimersByTime(499);
      expect(silent.transport.trace()).toEqual([]);
      jest.advanceTimersByTime(1);
      const [error, close] = silent.transport.take();
      expect(errorOf(error).message).toBe('CONNECT_TIMEOUT');
      expect(close?.command).toBe('close');

      const prompt = setup({ limits: { connectTimeoutMs: 500 } });
      await prompt.send('CONNECT', connectHeaders({ 'heart-beat': '0,0' }));
      expect(prompt.transport.trace()).toEqual(['CONNECTED']);
      jest.advanceTimersByTime(10_000);
      expect(prompt.transport.trace()).toEqual([]);
    });

    it('when a second inbox subscription is asked for then it is refused with INBOX_ALREADY_SUBSCRIBED and no second feed opens', async () => {
      const h = await connected();
      await withErrorsQueue(h);
      await h.send('SUBSCRIBE', {
        id: 'in-1',
        destination: '/user/queue/messages',
        ack: 'client-individual',
      });
      await h.send('SUBSCRIBE', {
        id: 'in-2',
        destination: '/user/queue/messages',
        ack: 'client-individual',
      });
      expect(refusalIn(h.transport.take())).toMatchObject({ code: 'INBOX_ALREADY_SUBSCRIBED' });
      expect(h.openInbox).toHaveBeenCalledTimes(1);
    });

    it('when the subscription cap is reached then the next one is refused with TOO_MANY_SUBSCRIPTIONS', async () => {
      const h = await connected({}, { limits: { maxSubscriptions: 3 } });
      await withErrorsQueue(h);
      await h.send('SUBSCRIBE', { id: 's-2', destination: '/user/queue/receipts' });
      await h.send('SUBSCRIBE', { id: 's-3', destination: '/user/queue/typing' });
      expect(h.transport.trace()).toEqual([]);
      await h.send('SUBSCRIBE', { id: 's-4', destination: '/user/queue/presence', receipt: 'r-4' });
      expect(refusalIn(h.transport.take())).toEqual({
        code: 'TOO_MANY_SUBSCRIPTIONS',
        message: 'a session holds at most 3 subscriptions',
        receiptId: 'r-4',
      });
      await h.send('UNSUBSCRIBE', { id: 's-3' });
      await h.send('SUBSCRIBE', { id: 's-4', destination: '/user/queue/presence', receipt: 'r-5' });
      expect(h.transport.trace()).toEqual(['RECEIPT']);
    });

    it('when admit says the user has sessions enough then ERROR TOO_MANY_SESSIONS and close, without onOpen', async () => {
      const h = setup({ admit: () => false });
      await h.send('CONNECT', connectHeaders());
      const [error, close] = h.transport.take();
      expect(errorOf(error).message).toBe('TOO_MANY_SESSIONS');
      expect(close?.command).toBe('close');
      expect(h.onOpen).not.toHaveBeenCalled();
    });
  });

  describe('given a client that stopped reading (the socket buffer at its cap)', () => {
    const CAP = 1_000;
    const stalled = async () => {
      const h = await connected({}, { limits: { maxBufferedBytes: CAP } });
      await h.send('SUBSCRIBE', { id: 'in', destination: '/user/queue/messages', ack: 'client-individual' });
      await h.send('SUBSCRIBE', { id: 'feed', destination: '/topic/conversation.c-1' });
      await h.send('SUBSCRIBE', { id: 'typing', destination: '/user/queue/typing' });
      await withErrorsQueue(h);
      return h;
    };

    it('when live notices come below the cap they are written; at the cap they are dropped and the session stays', async () => {
      const h = await stalled();
      h.transport.waiting = CAP - 1;
      h.conversationWatches[0]?.deliver({ n: 1 });
      h.userWatch.deliver?.('typing', { n: 2 });
      expect(h.transport.trace()).toEqual(['MESSAGE', 'MESSAGE']);
      h.transport.waiting = CAP;
      h.conversationWatches[0]?.deliver({ n: 3 });
      h.userWatch.deliver?.('typing', { n: 4 });
      expect(h.transport.trace()).toEqual([]);
      h.transport.waiting = 0;
      h.conversationWatches[0]?.deliver({ n: 5 });
      expect(h.transport.take().map((o) => JSON.parse(o.body) as unknown)).toEqual([{ n: 5 }]);
      expect(h.onClose).not.toHaveBeenCalled();
    });

    it('when an inbox item comes at the cap then ERROR SLOW_CONSUMER says items come again, the socket closes and the feeds stop', async () => {
      const h = await stalled();
      h.transport.waiting = CAP;
      h.inboxes[0]?.context.push(7, { kind: 'message', messageId: 'm-7' });
      const [error, close, ...rest] = h.transport.take();
      expect(rest).toEqual([]);
      const { message, body } = errorOf(error);
      expect(message).toBe('SLOW_CONSUMER');
      expect(body).toMatch(/more than 1000 bytes waited/);
      expect(body).toMatch(/not ACKed are delivered again on the next connection/);
      expect(close?.command).toBe('close');
      expect(h.inboxes[0]?.feed.stop).toHaveBeenCalled();
      expect(h.conversationWatches[0]?.stop).toHaveBeenCalled();
      expect(h.onClose.mock.calls).toEqual([[h.session]]);
      h.inboxes[0]?.context.push(8, { kind: 'message', messageId: 'm-8' });
      expect(h.transport.trace()).toEqual([]);
    });

    it('when half the buffer is taken then the inbox is told to wait, and told to go on once it drains (or the session ends)', async () => {
      const h = await stalled();
      const context = h.inboxes[0]!.context;
      h.transport.waiting = CAP / 2 - 1;
      expect(context.ready()).toBeUndefined();
      h.transport.waiting = CAP / 2;
      let resumed = false;
      void context.ready()?.then(() => (resumed = true));
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(resumed).toBe(false);
      h.transport.waiting = 0;
      await waitUntil(() => resumed);

      h.transport.waiting = CAP;
      let released = false;
      void context.ready()?.then(() => (released = true));
      h.session.closed();
      await waitUntil(() => released);
    });

    it('when a notice for /user/queue/errors or a RECEIPT comes at the cap then it is not dropped: SLOW_CONSUMER', async () => {
      const notice = await stalled();
      notice.transport.waiting = CAP;
      notice.userWatch.deliver?.('errors', { code: 'SUBSCRIPTION_ENDED' });
      expect(notice.transport.trace()).toEqual(['ERROR', 'close']);

      const receipt = await stalled();
      receipt.transport.waiting = CAP;
      await receipt.send('UNSUBSCRIBE', { id: 'typing', receipt: 'r-1' });
      const [error] = receipt.transport.take();
      expect(errorOf(error).message).toBe('SLOW_CONSUMER');
    });
  });

  describe('given rights that the log takes away', () => {
    it('when the account may no longer act then a SEND is not served: ERROR ACCOUNT_DISABLED and close', async () => {
      let active = true;
      const h = await connected({}, { mayAct: () => active });
      active = false;
      await h.send('SEND', { destination: '/app/chat.send', receipt: 'r-1' }, '{"messageId":"m-1"}');
      expect(h.handleSend).not.toHaveBeenCalled();
      const [error, close] = h.transport.take();
      expect(errorOf(error)).toMatchObject({ message: 'ACCOUNT_DISABLED', receiptId: 'r-1' });
      expect(close?.command).toBe('close');
    });

    it('when the user was removed lately (the read model still says member) then the feed is refused', async () => {
      const h = await connected({}, { wasRemoved: (conversationId) => conversationId === 'c-1' });
      await withErrorsQueue(h);
      await h.send('SUBSCRIBE', { id: 'conv', destination: '/topic/conversation.c-1' });
      expect(refusalIn(h.transport.take())).toMatchObject({ code: 'NOT_FOUND' });
      expect(h.watchConversation).not.toHaveBeenCalled();
    });

    it('when its conversation feed is ended then the watch stops, a notice names the subscription, and other feeds stay', async () => {
      const h = await connected({}, { isMember: async () => true });
      await withErrorsQueue(h);
      await h.send('SUBSCRIBE', { id: 'one', destination: '/topic/conversation.c-1' });
      await h.send('SUBSCRIBE', { id: 'two', destination: '/topic/conversation.c-2' });
      expect(h.session.endConversationFeed('c-1')).toBe(1);
      expect(refusalIn(h.transport.take())).toEqual({
        code: 'SUBSCRIPTION_ENDED',
        message: 'you are no longer a member of conversation c-1',
        subscription: 'one',
        destination: '/topic/conversation.c-1',
      });
      const [one, two] = h.conversationWatches;
      expect(one?.stop).toHaveBeenCalledTimes(1);
      expect(two?.stop).not.toHaveBeenCalled();
      one?.deliver({ text: 'not for you' });
      two?.deliver({ text: 'still yours' });
      expect(h.transport.take().map((o) => o.headers.subscription)).toEqual(['two']);
      expect(h.session.endConversationFeed('c-1')).toBe(0);
    });
  });

  describe('given a token that expires', () => {
    beforeEach(() => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    });

    const expiringIn = (ms: number) => async (token: string | undefined) => {
      if (token === TOKEN) return { userId: USER, expiresAtMs: Date.now() + ms };
      if (token === 'fresh') return { userId: USER, expiresAtMs: Date.now() + 60_000 };
      if (token === 'other-user') return { userId: 'someone-else', expiresAtMs: Date.now() + 60_000 };
      throw new DomainError('unauthenticated', 'TOKEN_INVALID', 'token is not valid');
    };

    it('when it expires then ERROR TOKEN_EXPIRED and close', async () => {
      const h = await connected({ 'heart-beat': '0,0' }, { authenticate: expiringIn(5_000) });
      jest.advanceTimersByTime(4_999);
      expect(h.transport.trace()).toEqual([]);
      jest.advanceTimersByTime(1);
      const [error, close] = h.transport.take();
      expect(errorOf(error).message).toBe('TOKEN_EXPIRED');
      expect(close?.command).toBe('close');
    });

    it('when a fresh token of the same user is sent to /app/session.refresh then RECEIPT and the session lives on', async () => {
      const h = await connected({ 'heart-beat': '0,0' }, { authenticate: expiringIn(5_000) });
      await h.send('SEND', {
        destination: '/app/session.refresh',
        Authorization: 'Bearer fresh',
        receipt: 'r-1',
      });
      expect(h.transport.trace()).toEqual(['RECEIPT']);
      expect(h.handleSend).not.toHaveBeenCalled();
      jest.advanceTimersByTime(59_000);
      expect(h.transport.trace()).toEqual([]);
      jest.advanceTimersByTime(1_000);
      expect(errorOf(h.transport.take()[0]).message).toBe('TOKEN_EXPIRED');
    });

    it("when another user's or an invalid token is offered then it is refused and the old expiry stands", async () => {
      const h = await connected({ 'heart-beat': '0,0' }, { authenticate: expiringIn(5_000) });
      await withErrorsQueue(h);
      await h.send('SEND', { destination: '/app/session.refresh', Authorization: 'Bearer other-user' });
      expect(refusalIn(h.transport.take())).toMatchObject({ code: 'INVALID_TOKEN' });
      await h.send('SEND', { destination: '/app/session.refresh', Authorization: 'Bearer forged' });
      expect(refusalIn(h.transport.take())).toMatchObject({ code: 'TOKEN_INVALID' });
      jest.advanceTimersByTime(5_000);
      expect(errorOf(h.transport.take()[0]).message).toBe('TOKEN_EXPIRED');
    });
  });
});
