import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { takeToken, type TokenBucketLimit, type TokenBucketState } from '@parley/domain';
import { RedisBuckets } from './redis-buckets';

/** A small seeded generator, so that a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('RedisBuckets.take (the token bucket rule run inside Redis)', () => {
  let redis: Redis;
  let buckets: RedisBuckets;
  const prefix = `spec-buckets-${randomUUID()}:`;

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    buckets = new RedisBuckets(redis);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it.each([
    [{ capacity: 5, refillPerSecond: 1 }, 1],
    [{ capacity: 4, refillPerSecond: 3 }, 2],
    [{ capacity: 3, refillPerSecond: 0.5 }, 3],
  ])(
    'given random takes of a few users over time with %j, then every answer and stored state is that of takeToken (seed %i)',
    async (limit: TokenBucketLimit, seed: number) => {
      const random = seeded(seed);
      const users = ['a', 'b', 'c'].map((user) => `${prefix}${seed}:${user}`);
      const expected = new Map<string, TokenBucketState | undefined>();
      let nowMs = 1_700_000_000_000;
      let refusals = 0;
      for (let round = 0; round < 60; round++) {
        nowMs += Math.floor(random() * 300);
        // One to four takes in a batch; a user may come twice (two sends in one turn).
        const keys = Array.from(
          { length: 1 + Math.floor(random() * 4) },
          () => users[Math.floor(random() * 3)]!,
        );
        const answers = await buckets.take(keys, nowMs, limit);
        const want = keys.map((key) => {
          const result = takeToken(expected.get(key), nowMs, limit);
          expected.set(key, result.state);
          return result.allowed ? undefined : result.retryAfterMs;
        });
        expect(answers).toEqual(want);
        refusals += want.filter((answer) => answer !== undefined).length;
      }
      // The rule was exercised both ways.
      expect(refusals).toBeGreaterThan(0);
      const stored = await new RedisBuckets(redis).read(users);
      for (const user of users) {
        const state = expected.get(user);
        if (state === undefined) continue;
        expect(stored.get(user)?.updatedAtMs).toBe(state.updatedAtMs);
        // Exactly: the script stores every digit a double needs.
        expect(stored.get(user)?.tokens).toBe(state.tokens);
      }
    },
  );

  it.each([
    [
      'exactly one token after a second at 1/s: taken',
      { capacity: 1, refillPerSecond: 1 },
      [0, 1_000],
      [undefined, undefined],
    ],
    [
      'a long idle time: refilled to the capacity, not beyond',
      { capacity: 2, refillPerSecond: 1 },
      [0, 0, 60_000, 60_000, 60_000],
      [undefined, undefined, undefined, undefined, 1_000],
    ],
    [
      'a node whose clock is behind: nothing refills, nothing drains',
      { capacity: 1, refillPerSecond: 1 },
      [5_000, 4_000],
      [undefined, 1_000],
    ],
  ])(
    'given %s, then the answers are takeToken’s',
    async (_case, limit: TokenBucketLimit, offsets: number[], answers: (number | undefined)[]) => {
      const key = `${prefix}fixed:${randomUUID()}`;
      const start = 1_700_000_000_000;
      const got: (number | undefined)[] = [];
      let state: TokenBucketState | undefined;
      for (const offset of offsets) {
        got.push((await buckets.take([key], start + offset, limit))[0]);
        state = takeToken(state, start + offset, limit).state;
      }
      expect(got).toEqual(answers);
      expect((await buckets.read([key])).get(key)).toEqual(state);
    },
  );

  it('given a refused take, then the key still expires (a bucket that refuses is stored too)', async () => {
    const key = `${prefix}refused-ttl`;
    const limit = { capacity: 1, refillPerSecond: 0.5 };
    await buckets.take([key, key], Date.now(), limit);
    await redis.persist(key);
    expect(await buckets.take([key], Date.now(), limit)).toEqual([expect.any(Number)]);
    // 1 token at 0.5/s: 2 s to refill, plus a second.
    expect(await redis.pttl(key)).toBeGreaterThan(2_000);
  });

  it('given a bucket, then its key expires once the bucket would be full again (so idle users cost nothing)', async () => {
    const key = `${prefix}ttl`;
    await buckets.take([key], Date.now(), { capacity: 4, refillPerSecond: 2 });
    const ttl = await redis.pttl(key);
    // 4 tokens at 2/s: 2 s to refill, plus a second.
    expect(ttl).toBeGreaterThan(2_000);
    expect(ttl).toBeLessThanOrEqual(3_000);
  });

  it('given a stored state that is not ours (garbage), then the bucket counts as full', async () => {
    const key = `${prefix}garbage`;
    for (const garbage of ['not-a-state', 'nan:1', '1:nan']) {
      await redis.set(key, garbage);
      expect(await buckets.take([key, key], Date.now(), { capacity: 1, refillPerSecond: 0.001 })).toEqual([
        undefined,
        expect.any(Number),
      ]);
    }
  });
});
