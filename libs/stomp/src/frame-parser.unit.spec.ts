// The parser's two promises beyond single frames: the same items however the bytes are cut, and work
// linear in the bytes received (a 64 KiB frame sent one byte at a time must not cost 64 Ki² steps).
import fc from 'fast-check';
import {
  CLIENT_COMMANDS,
  FrameParser,
  escapeHeader,
  escapesHeaders,
  type ParsedItem,
  type StompFrame,
} from '@parley/stomp';

const MAX = 64 * 1024;

/** A frame as a test writes it: header lines in order (repeats allowed), and how lines end. */
interface FrameSpec {
  readonly command: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly eols: readonly string[];
}

type Piece =
  { readonly kind: 'frame'; readonly spec: FrameSpec } | { readonly kind: 'heartbeat'; readonly eol: string };

function wireOf(spec: FrameSpec): Buffer {
  const escape = escapesHeaders(spec.command);
  const lines = [spec.command];
  for (const [name, value] of spec.headers)
    lines.push(escape ? `${escapeHeader(name)}:${escapeHeader(value)}` : `${name}:${value}`);
  const eol = (i: number) => spec.eols[i % spec.eols.length] as string;
  const head = lines.map((line, i) => line + eol(i)).join('') + eol(lines.length);
  return Buffer.concat([Buffer.from(head, 'utf8'), spec.body, Buffer.from([0])]);
}

function expectedItem(piece: Piece): ParsedItem {
  if (piece.kind === 'heartbeat') return { kind: 'heartbeat' };
  const headers: Record<string, string> = {};
  for (const [name, value] of piece.spec.headers) if (!Object.hasOwn(headers, name)) headers[name] = value;
  return { kind: 'frame', frame: { command: piece.spec.command, headers, body: piece.spec.body } };
}

const eol = fc.constantFrom('\n', '\r\n');
const anyText = fc.string({ unit: 'binary', maxLength: 12 });
// CONNECT and STOMP do not escape: their names hold no colon and no line holds a line break.
const rawText = anyText.map((s) => s.replace(/[\r\n]/g, '_'));
const headerName = (escape: boolean) =>
  (escape ? anyText : rawText.map((s) => s.replace(/:/g, '_')))
    .filter((name) => name.length > 0 && name !== 'content-length')
    // A few common names, so that repeats (first one wins) happen often.
    .chain((name) => fc.constantFrom(name, 'destination', 'id'));

const frameSpec: fc.Arbitrary<FrameSpec> = fc.constantFrom(...CLIENT_COMMANDS).chain((command) => {
  const escape = escapesHeaders(command);
  return fc
    .record({
      headers: fc.array(fc.tuple(headerName(escape), escape ? anyText : rawText), { maxLength: 8 }),
      contentLength: fc.boolean(),
      bytes: fc.uint8Array({ maxLength: 300 }),
      eols: fc.array(eol, { minLength: 1, maxLength: 4 }),
      at: fc.nat(),
    })
    .map(({ headers, contentLength, bytes, eols, at }) => {
      // Without content-length the body ends at the first NUL, so it holds none.
      const body = Buffer.from(contentLength ? bytes : bytes.map((b) => b || 1));
      const lines = [...headers];
      if (contentLength) lines.splice(at % (lines.length + 1), 0, ['content-length', String(body.length)]);
      return { command, headers: lines, body, eols };
    });
});

const piece: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 3, arbitrary: frameSpec.map((spec) => ({ kind: 'frame' as const, spec })) },
  { weight: 1, arbitrary: eol.map((e) => ({ kind: 'heartbeat' as const, eol: e })) },
);

function wire(pieces: readonly Piece[]): Buffer {
  return Buffer.concat(pieces.map((p) => (p.kind === 'heartbeat' ? Buffer.from(p.eol) : wireOf(p.spec))));
}

function parseChunks(chunks: readonly Buffer[]): ParsedItem[] {
  const parser = new FrameParser({ maxFrameBytes: MAX });
  return chunks.flatMap((chunk) => parser.push(chunk));
}

function cut(bytes: Buffer, points: readonly number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  return [...at, bytes.length].map((end, i) => bytes.subarray(i === 0 ? 0 : at[i - 1], end));
}

describe('FrameParser: cut anywhere', () => {
  it('given valid frames and heart-beats, when cut into any chunks (one byte each too), then it gives what parsing the whole gives, as written', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (pieces, points) => {
          const bytes = wire(pieces);
          const expected = pieces.map(expectedItem);
          const whole = parseChunks([bytes]);
          expect(whole).toEqual(expected);
          expect(parseChunks(cut(bytes, points))).toEqual(whole);
          const oneByOne = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
          expect(parseChunks(oneByOne)).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('given a chunk that is changed after it was pushed, then neither the pending frame nor a parsed body sees the change', () => {
    const parser = new FrameParser({ maxFrameBytes: MAX });
    const first = Buffer.from('SEND\ndestination:/q\n\nhello\0SEND\ndestination:/r\n\nwor');
    const [parsed] = parser.push(first);
    first.fill(0x21);
    const [second] = parser.push(Buffer.from('ld\0'));
    expect(parsed).toEqual({
      kind: 'frame',
      frame: { command: 'SEND', headers: { destination: '/q' }, body: Buffer.from('hello') },
    });
    expect(second).toEqual({
      kind: 'frame',
      frame: { command: 'SEND', headers: { destination: '/r' }, body: Buffer.from('world') },
    });
  });
});

/** Frames of about `size` bytes in the shapes where a parser could rescan: body to a NUL, body of a content-length, one long header. */
const SHAPES: Readonly<Record<string, (size: number) => Buffer>> = {
  'a body ended by NUL': (size) => Buffer.from(`SEND\ndestination:/q\n\n${'x'.repeat(size - 30)}\0`),
  'a body with content-length': (size) =>
    Buffer.from(`SEND\ncontent-length:${size - 40}\n\n${'x'.repeat(size - 40)}\0`),
  'one long header line': (size) => Buffer.from(`SEND\nlong:${'x'.repeat(size - 30)}\n\n\0`),
};

function pushBytewise(bytes: Buffer): StompFrame<string>[] {
  const parser = new FrameParser({ maxFrameBytes: MAX });
  const frames: StompFrame<string>[] = [];
  for (let i = 0; i < bytes.length; i++)
    for (const item of parser.push(bytes.subarray(i, i + 1)))
      if (item.kind === 'frame') frames.push(item.frame);
  return frames;
}

/**
 * Bytes that Buffer's methods read, write or allocate while `run` runs: searched (up to the byte
 * found), decoded, copied, concatenated, allocated. The parser does its work through them, so this
 * counts its work without a clock (Node's own internals call the originals, so nothing counts twice).
 */
function bufferWork(run: () => void): number {
  let work = 0;
  const restore: (() => void)[] = [];
  const meter = <T extends object>(
    target: T,
    method: keyof T,
    cost: (self: any, args: any[], result: any) => number,
  ) => {
    const original = target[method] as (...args: any[]) => any;
    // A plain wrapper, not jest.spyOn: a spy would record every one of the 64 Ki calls.
    target[method] = function (this: unknown, ...args: any[]) {
      const result = original.apply(this, args);
      work += Math.max(0, cost(this, args, result));
      return result;
    } as T[keyof T];
    restore.push(() => (target[method] = original as T[keyof T]));
  };
  const within = (length: number, at: number | undefined, otherwise: number) =>
    at === undefined ? otherwise : Math.min(length, at < 0 ? length + at : at);
  meter(Buffer.prototype, 'indexOf', (self: Buffer, [, from], found: number) => {
    const start = within(self.length, typeof from === 'number' ? from : undefined, 0);
    return (found < 0 ? self.length : found + 1) - start;
  });
  meter(
    Buffer.prototype,
    'toString',
    (self: Buffer, [, start, end]) => within(self.length, end, self.length) - within(self.length, start, 0),
  );
  meter(Buffer.prototype, 'copy', (_self, _args, copied: number) => copied);
  for (const method of ['concat', 'from', 'alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const)
    meter(Buffer, method, (_self, _args, result: Buffer) => result.length);
  try {
    run();
  } finally {
    for (const undo of restore) undo();
  }
  return work;
}

describe('FrameParser: work linear in the bytes received', () => {
  it.each(Object.keys(SHAPES))(
    'given %s of 64 KiB sent one byte at a time, then the work is a small multiple of its size',
    (shape) => {
      const bytes = (SHAPES[shape] as (size: number) => Buffer)(MAX);
      let frames: StompFrame<string>[] = [];
      const work = bufferWork(() => (frames = pushBytewise(bytes)));
      expect(frames).toHaveLength(1);
      // The frame's body or long header really came through (so the meter saw the real work).
      expect(work).toBeGreaterThan(bytes.length);
      // Linear work is a few passes over the bytes; a parser that rescans per push does ~32 Ki passes.
      expect(work).toBeLessThan(16 * bytes.length);
    },
  );
});
