// The parser against hostile input: mutated frames (flipped, inserted, deleted bytes, truncations,
// repeated and huge headers, bad escapes, wrong content-length, missing NUL, odd EOLs, binary) and
// random bytes, cut at random points. PARLEY_FUZZ_PARSER_FRAMES sets the count (`npm run fuzz` raises
// it); a failure names the fast-check seed to replay it (PARLEY_FUZZ_SEED).
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { FrameParser, StompProtocolError, type ParsedItem } from '@parley/stomp';
import { FuzzRandom, fuzzFrame, splitRandomly, STOMP_MUTATIONS, type StompMutation } from '@parley/testing';

const MAX = 64 * 1024;
const FRAMES = Number(process.env.PARLEY_FUZZ_PARSER_FRAMES ?? 80_000);
const FRAMES_PER_STREAM = 25;
const TRAILER = Buffer.from('SEND\ndestination:/q\n\n\0');
const SEED = process.env.PARLEY_FUZZ_SEED === undefined ? undefined : Number(process.env.PARLEY_FUZZ_SEED);

interface Outcome {
  readonly items: ParsedItem[];
  readonly error?: string;
}

function parse(chunks: readonly Buffer[]): Outcome {
  const parser = new FrameParser({ maxFrameBytes: MAX });
  const items: ParsedItem[] = [];
  for (const chunk of chunks) {
    try {
      items.push(...parser.push(chunk));
    } catch (error) {
      // Bad input is a protocol error with a short message, never a TypeError or RangeError.
      // (Plain checks, not expect(): this runs hundreds of thousands of times.)
      if (!(error instanceof StompProtocolError)) throw error;
      if (error.message.length === 0 || error.message.length > 200)
        throw new Error(`unclear protocol error: "${error.message.slice(0, 300)}"`);
      // A broken stream stays broken.
      let refused = false;
      try {
        parser.push(Buffer.from('SEND\n\n\0'));
      } catch (again) {
        refused = again instanceof StompProtocolError;
      }
      if (!refused) throw new Error('the parser took more input after a protocol error');
      return { items, error: error.message };
    }
  }
  return { items };
}

function stream(seed: number, mutationRate: number) {
  const rng = new FuzzRandom(seed);
  const frames = Array.from({ length: FRAMES_PER_STREAM }, () =>
    fuzzFrame(rng, { token: 'a.b.c' }, { mutationRate, maxFrameBytes: MAX }),
  );
  const bytes = Buffer.concat(
    frames.flatMap((f) => (rng.chance(0.1) ? [Buffer.from('\n'), f.bytes] : [f.bytes])),
  );
  return { rng, frames, bytes };
}

describe('FrameParser: fuzzed frames', () => {
  it(`given ${FRAMES} fuzzed frames cut at random points, then every outcome is frames or a protocol error, the same however the bytes are cut`, () => {
    const byMutation = new Map<StompMutation, number>(STOMP_MUTATIONS.map((m) => [m, 0]));
    let errors = 0;
    let parsedFrames = 0;
    const started = Date.now();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fff_ffff }), (seed) => {
        const { rng, frames, bytes } = stream(seed, 0.5);
        for (const frame of frames) byMutation.set(frame.mutation, (byMutation.get(frame.mutation) ?? 0) + 1);
        // Each frame alone (then a valid frame, which an unfinished one swallows); in one run of four
        // also all in a row (most such streams break early, so they add little per parse).
        const alone = frames.map((f) => Buffer.concat([f.bytes, TRAILER]));
        const inputs = seed % 4 === 0 ? [...alone, bytes] : alone;
        for (const input of inputs) {
          const whole = parse([input]);
          const cut = parse(splitRandomly(rng, input, 40));
          if ((cut.error === undefined) !== (whole.error === undefined))
            throw new Error(`cut: ${cut.error ?? 'no error'}; whole: ${whole.error ?? 'no error'}`);
          // (Which error comes first may depend on the cut: a huge head that is also malformed.)
          if (whole.error === undefined && !isDeepStrictEqual(cut.items, whole.items))
            throw new Error('cut into pieces, the input parsed into other frames');
          errors += whole.error === undefined ? 0 : 1;
          parsedFrames += cut.items.filter((item) => item.kind === 'frame').length;
        }
      }),
      { numRuns: Math.ceil(FRAMES / FRAMES_PER_STREAM), ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    const total = [...byMutation.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(FRAMES);
    // Both outcomes happened often: the corpus reaches the parser's errors and its frames.
    expect(errors).toBeGreaterThan(total / 10);
    expect(parsedFrames).toBeGreaterThan(total / 10);
    process.stdout.write(
      `parser fuzz: ${total} frames in ${Date.now() - started} ms, ${parsedFrames} parsed, ${errors} inputs ended by a protocol error\n`,
    );
  });

  it('given unmutated fuzz frames, then every one of them parses (the corpus starts from valid frames)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fff_ffff }), (seed) => {
        const { rng, frames, bytes } = stream(seed, 0);
        const outcome = parse(splitRandomly(rng, bytes, 10));
        expect(outcome.error).toBeUndefined();
        expect(outcome.items.filter((item) => item.kind === 'frame')).toHaveLength(frames.length);
      }),
      { numRuns: 200 },
    );
  });
});
