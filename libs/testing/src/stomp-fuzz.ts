// Fuzz input for STOMP servers: valid client frames, the same frames broken in the ways clients and
// attackers break them, and random bytes. A seeded generator (not fast-check's shrinking machinery):
// millions of frames must cost seconds, and a failure is replayed from its seed.

/** xorshift128+ reduced to 32 bits: fast, seedable, good enough to pick mutations. */
export class FuzzRandom {
  private a: number;
  private b: number;

  constructor(readonly seed: number) {
    this.a = seed >>> 0 || 0x9e3779b9;
    this.b = Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) >>> 0 || 0x7f4a7c15;
    for (let i = 0; i < 8; i++) this.next();
  }

  next(): number {
    let x = this.a;
    const y = this.b;
    this.a = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    this.b = x >>> 0;
    return (this.a + this.b) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** `n` random bytes (a slice of a seeded pool: frames of 64 KiB must cost little to make). */
  bytes(n: number): Buffer {
    const from = this.int(POOL.length - n + 1);
    return Buffer.from(POOL.subarray(from, from + n));
  }
}

const POOL = (() => {
  const pool = Buffer.allocUnsafe(512 * 1024);
  let x = 0x2545f491;
  for (let i = 0; i < pool.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pool[i] = x & 0xff;
  }
  return pool;
})();

/** What a fuzzed frame may refer to, so that some frames reach deep into the server. */
export interface StompFuzzContext {
  /** A valid token (CONNECT of an authenticated session, session refresh). */
  readonly token?: string;
  /** Conversations and users that exist. */
  readonly conversationIds?: readonly string[];
  readonly userIds?: readonly string[];
  /** SEND destinations the server serves, and subscription destinations (without conversations). */
  readonly sendDestinations?: readonly string[];
  readonly subscribeDestinations?: readonly string[];
}

export const STOMP_MUTATIONS = [
  'none',
  'flip',
  'insert',
  'delete',
  'truncate',
  'duplicate-headers',
  'huge-header',
  'bad-escape',
  'wrong-content-length',
  'missing-nul',
  'eols',
  'binary-body',
  'bad-command',
  'bad-header-line',
  'invalid-utf8',
  'random-bytes',
] as const;
export type StompMutation = (typeof STOMP_MUTATIONS)[number];

export interface FuzzedFrame {
  readonly command: string;
  readonly mutation: StompMutation;
  readonly bytes: Buffer;
}

type Header = [string, string];

const GARBAGE_TEXT = [
  '',
  ' ',
  '\u0000',
  '../../etc/passwd',
  '%00',
  '\u202e\u0301',
  '😀',
  "'; DROP TABLE users; --",
  '{}',
  '[]',
  'null',
  '-1',
  '1e309',
  '9'.repeat(40),
  '\\',
  '\ud800',
];

function text(rng: FuzzRandom): string {
  if (rng.chance(0.5)) return rng.pick(GARBAGE_TEXT);
  const length = rng.int(24);
  let out = '';
  for (let i = 0; i < length; i++)
    out += String.fromCharCode(rng.chance(0.9) ? 32 + rng.int(95) : rng.int(0x3000));
  return out;
}

function uuidLike(rng: FuzzRandom, known: readonly string[] | undefined): string {
  if (known?.length && rng.chance(0.6)) return rng.pick(known);
  if (rng.chance(0.5))
    return rng
      .bytes(16)
      .toString('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
  return text(rng);
}

function jsonBody(rng: FuzzRandom, context: StompFuzzContext): Buffer {
  const conversationId = () => uuidLike(rng, context.conversationIds);
  const messageId = () => `fz-${rng.next()}`;
  const candidates: (() => unknown)[] = [
    () => ({ messageId: messageId(), conversationId: conversationId(), text: text(rng) || 'hi' }),
    () => ({ messageId: messageId(), recipientId: uuidLike(rng, context.userIds), text: text(rng) }),
    () => ({ conversationId: conversationId(), upToSeq: rng.pick([0, 1, -1, 2 ** 60, 'x', null, 1.5]) }),
    () => ({ messageId: text(rng), scope: rng.pick(['me', 'everyone', 'nobody', 1]) }),
    () => ({ conversationId: conversationId() }),
    () => ({ messageId: rng.int(100), conversationId: [conversationId()], text: { a: 1 } }),
    () => rng.pick([null, 1, 'text', [], true]),
    () => ({
      text: 'x'.repeat(rng.pick([4_000, 4_001, 10_000])),
      messageId: messageId(),
      conversationId: conversationId(),
    }),
  ];
  // Deep nesting, written directly (JSON.stringify of 2,000 levels costs more than the frame).
  if (rng.chance(0.03)) return Buffer.from(`${'{"text":'.repeat(2_000)}1${'}'.repeat(2_000)}`);
  return Buffer.from(JSON.stringify(rng.pick(candidates)()) ?? 'undefined', 'utf8');
}

/** A well-formed client frame of any command, with values that range from right to absurd. */
function validFrame(
  rng: FuzzRandom,
  context: StompFuzzContext,
  closeRate: number,
): { command: string; headers: Header[]; body: Buffer } {
  const receipt = (): Header[] => (rng.chance(0.3) ? [['receipt', `r-${rng.int(1_000)}`]] : []);
  // Commands that end a session (a second CONNECT, transactions, DISCONNECT) come at `closeRate`.
  const command = rng.chance(closeRate)
    ? rng.pick(['CONNECT', 'STOMP', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT'])
    : rng.pick(['SEND', 'SEND', 'SEND', 'SUBSCRIBE', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'ACK', 'NACK']);
  switch (command) {
    case 'CONNECT':
    case 'STOMP': {
      const token = context.token && rng.chance(0.7) ? context.token : text(rng);
      const headers: Header[] = [
        ['accept-version', rng.pick(['1.2', '1.1,1.2', '1.0', '9.9', ''])],
        ['host', 'parley'],
        [
          rng.pick(['Authorization', 'authorization', 'passcode']),
          rng.chance(0.8) ? `Bearer ${token}` : token,
        ],
      ];
      if (rng.chance(0.5))
        headers.push(['heart-beat', rng.pick(['0,0', '10000,10000', '1,1', 'x,y', '-5,3', ''])]);
      if (rng.chance(0.3)) headers.push(['device-id', text(rng)]);
      return { command, headers, body: Buffer.alloc(0) };
    }
    case 'SEND': {
      const destinations = context.sendDestinations ?? ['/app/chat.send'];
      const destination = rng.chance(0.8) ? rng.pick(destinations) : text(rng);
      const headers: Header[] = [['destination', destination], ...receipt()];
      if (rng.chance(0.3))
        headers.push(['content-type', rng.pick(['application/json', 'text/plain', text(rng)])]);
      if (destination === '/app/session.refresh')
        headers.push([
          'Authorization',
          `Bearer ${rng.chance(0.5) && context.token ? context.token : text(rng)}`,
        ]);
      const body = rng.chance(0.8) ? jsonBody(rng, context) : rng.bytes(rng.int(200));
      return { command, headers, body };
    }
    case 'SUBSCRIBE': {
      const conversation = `/topic/conversation.${uuidLike(rng, context.conversationIds)}`;
      const destination = rng.chance(0.8)
        ? rng.pick([...(context.subscribeDestinations ?? ['/user/queue/errors']), conversation])
        : text(rng);
      const headers: Header[] = [
        ['id', rng.chance(0.9) ? `s-${rng.int(100)}` : text(rng)],
        ['destination', destination],
        ...receipt(),
      ];
      if (rng.chance(0.5))
        headers.push([
          'ack',
          rng.pick(['auto', 'client', 'client-individual', 'client-individual', 'auto', 'client', text(rng)]),
        ]);
      if (rng.chance(0.2))
        headers.push(['from-position', rng.pick(['0', '1', '-1', '1e3', '9'.repeat(20), text(rng)])]);
      return { command, headers, body: Buffer.alloc(0) };
    }
    case 'UNSUBSCRIBE':
      return {
        command,
        headers: [['id', rng.chance(0.8) ? `s-${rng.int(100)}` : text(rng)], ...receipt()],
        body: Buffer.alloc(0),
      };
    case 'ACK':
    case 'NACK':
      return {
        command,
        headers: [['id', rng.pick([String(rng.int(1_000)), '9'.repeat(16), '-1', text(rng)])], ...receipt()],
        body: Buffer.alloc(0),
      };
    case 'DISCONNECT':
      return { command, headers: receipt(), body: Buffer.alloc(0) };
    default:
      return { command, headers: [['transaction', text(rng)], ...receipt()], body: Buffer.alloc(0) };
  }
}

const escapeValue = (value: string) =>
  value.replace(/[\\\r\n:]/g, (ch) => ({ '\\': '\\\\', '\r': '\\r', '\n': '\\n', ':': '\\c' })[ch] as string);

function encode(
  command: string,
  headers: readonly Header[],
  body: Buffer,
  options: { eol?: string; contentLength?: string | undefined; nul?: boolean } = {},
): Buffer {
  const raw = command === 'CONNECT' || command === 'STOMP';
  const eol = options.eol ?? '\n';
  const lines = [command];
  for (const [name, value] of headers)
    lines.push(
      raw
        ? `${name.replace(/[\r\n:]/g, '_')}:${value.replace(/[\r\n]/g, '_')}`
        : `${escapeValue(name)}:${escapeValue(value)}`,
    );
  if (options.contentLength !== undefined) lines.push(`content-length:${options.contentLength}`);
  const head = Buffer.from(lines.join(eol) + eol + eol, 'utf8');
  return Buffer.concat([head, body, options.nul === false ? Buffer.alloc(0) : Buffer.from([0])]);
}

/** One fuzzed frame of a client. */
export function fuzzFrame(
  rng: FuzzRandom,
  context: StompFuzzContext = {},
  options: {
    /** How often a frame is broken (the rest are well-formed). */
    readonly mutationRate?: number;
    /** How often a well-formed frame is one that ends a session. */
    readonly closeRate?: number;
    readonly maxFrameBytes?: number;
  } = {},
): FuzzedFrame {
  const { command, headers, body } = validFrame(rng, context, options.closeRate ?? 0.4);
  const mutate = rng.chance(options.mutationRate ?? 0.7);
  const mutation: StompMutation = mutate ? rng.pick(STOMP_MUTATIONS.slice(1)) : 'none';
  const withLength = () => (rng.chance(0.6) || body.includes(0) ? String(body.length) : undefined);
  const plain = () => encode(command, headers, body, { contentLength: withLength() });
  const limit = options.maxFrameBytes ?? 64 * 1024;
  let bytes: Buffer;
  switch (mutation) {
    case 'none':
      bytes = encode(command, headers, body, {
        contentLength: withLength(),
        eol: rng.chance(0.2) ? '\r\n' : '\n',
      });
      break;
    case 'flip': {
      bytes = Buffer.from(plain());
      for (let n = 1 + rng.int(4); n > 0; n--) {
        const at = rng.int(bytes.length);
        bytes[at] = (bytes[at] as number) ^ (1 << rng.int(8));
      }
      break;
    }
    case 'insert': {
      const frame = plain();
      const at = rng.int(frame.length + 1);
      const inserted = rng.chance(0.5)
        ? rng.bytes(1 + rng.int(16))
        : Buffer.from(rng.pick(['\n', '\r', '\0', ':', '\\', '\n\n']));
      bytes = Buffer.concat([frame.subarray(0, at), inserted, frame.subarray(at)]);
      break;
    }
    case 'delete': {
      const frame = plain();
      const at = rng.int(frame.length);
      bytes = Buffer.concat([frame.subarray(0, at), frame.subarray(at + 1 + rng.int(8))]);
      break;
    }
    case 'truncate': {
      const frame = plain();
      bytes = frame.subarray(0, rng.int(frame.length));
      break;
    }
    case 'duplicate-headers': {
      const [first] = headers.length ? headers : [['x', 'y'] as Header];
      const repeated = Array.from({ length: rng.pick([2, 10, 64, 65, 200]) }, () => first as Header);
      bytes = encode(command, [...headers, ...repeated], body, { contentLength: withLength() });
      break;
    }
    case 'huge-header': {
      const size = rng.pick([1_000, limit - 200, limit + 1]);
      bytes = encode(
        command,
        [...headers, [rng.chance(0.5) ? 'x-huge' : 'x'.repeat(size), 'v'.repeat(size)]],
        body,
        {
          contentLength: withLength(),
        },
      );
      break;
    }
    case 'bad-escape': {
      const value = rng.pick(['\\t', 'end\\', '\\x41', '\\\\\\', '\\c\\n\\r\\z']);
      const lines = [
        command,
        ...headers.map(([n, v]) => `${escapeValue(n)}:${escapeValue(v)}`),
        `x-bad:${value}`,
      ];
      bytes = Buffer.concat([Buffer.from(`${lines.join('\n')}\n\n`), body, Buffer.from([0])]);
      break;
    }
    case 'wrong-content-length': {
      const declared = rng.pick([
        String(body.length + 1 + rng.int(10)),
        String(Math.max(0, body.length - 1 - rng.int(10))),
        '-1',
        'abc',
        '',
        ' 1',
        '1.5',
        '99999999999',
        String(limit),
        String(2 ** 53),
      ]);
      bytes = encode(command, headers, body, { contentLength: declared });
      break;
    }
    case 'missing-nul':
      bytes = encode(command, headers, body.includes(0) ? Buffer.from('x') : body, { nul: false });
      break;
    case 'eols': {
      const eol = rng.pick(['\r', '\r\r\n', '\n\r', '\r\n']);
      const lead = rng.pick(['', '\n', '\r\n', '\n\n\n', '\r', '\r\r']);
      bytes = Buffer.concat([
        Buffer.from(lead),
        encode(command, headers, body, { eol, contentLength: withLength() }),
      ]);
      break;
    }
    case 'binary-body': {
      const binary = rng.bytes(rng.pick([1, 100, 4_000, limit]));
      bytes = encode(command, headers, binary, {
        contentLength: rng.chance(0.8) ? String(binary.length) : undefined,
      });
      break;
    }
    case 'bad-command':
      bytes = encode(
        rng.pick(['send', 'CONNECTED', 'MESSAGE', 'ERROR', '', ' SEND', 'SEND ', 'X'.repeat(300), text(rng)]),
        headers,
        body,
      );
      break;
    case 'bad-header-line': {
      const line = rng.pick([':value', 'no-colon', '::', ' : ', '\u0000:x']);
      bytes = Buffer.concat([Buffer.from(`${command}\n${line}\n\n`), body, Buffer.from([0])]);
      break;
    }
    case 'invalid-utf8': {
      const bad = rng.pick([
        Buffer.from([0xc3]),
        Buffer.from([0xff, 0xfe]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
      ]);
      bytes = Buffer.concat([
        Buffer.from(`${command}\ndestination:`),
        bad,
        Buffer.from('\nid:'),
        bad,
        Buffer.from('\n\n'),
        body,
        Buffer.from([0]),
      ]);
      break;
    }
    case 'random-bytes':
      bytes = rng.bytes(1 + rng.int(rng.chance(0.9) ? 256 : 8_192));
      break;
  }
  return { command, mutation, bytes };
}

/** Cuts bytes at random points (at most `maxPieces` pieces), as a socket or a proxy might deliver them. */
export function splitRandomly(rng: FuzzRandom, bytes: Buffer, maxPieces: number): Buffer[] {
  if (bytes.length <= 1 || maxPieces <= 1) return [bytes];
  const cuts = new Set<number>();
  const count = rng.int(Math.min(maxPieces, bytes.length));
  for (let i = 0; i < count; i++) cuts.add(1 + rng.int(bytes.length - 1));
  const sorted = [...cuts].sort((x, y) => x - y);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const cut of sorted) {
    pieces.push(bytes.subarray(from, cut));
    from = cut;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}
