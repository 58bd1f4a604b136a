import type { Redis } from 'ioredis';
import type { TokenBucketLimit, TokenBucketState } from '@parley/domain';

/**
 * takeToken of @parley/domain (token-bucket.ts), run inside Redis: for each key in order, the
 * bucket refills for the time since it was last touched, gives a token if it has one, and is stored
 * with its expiry. Answers -1 (taken) or how many ms until a token is there. Keys may repeat (two
 * sends of one user in a batch): each sees the state the one before it left. The same formula as
 * the TypeScript rule, which redis-buckets.int.spec.ts holds it to.
 */
const TAKE_TOKENS = `
local now = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local refill = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local answers = {}
for i, key in ipairs(KEYS) do
  local tokens = capacity
  local stored = redis.call('GET', key)
  if stored then
    local t, u = string.match(stored, '^([^:]+):([^:]+)$')
    t = tonumber(t)
    u = tonumber(u)
    if t and u and t == t and u == u then
      tokens = math.min(capacity, t + (math.max(0, now - u) / 1000) * refill)
    end
  end
  if tokens >= 1 then
    tokens = tokens - 1
    answers[i] = -1
  else
    answers[i] = math.ceil(((1 - tokens) / refill) * 1000)
  end
  redis.call('SET', key, string.format('%.17g', tokens) .. ':' .. string.format('%d', now), 'PX', ttl)
end
return answers
`;

/** A bucket left alone refills completely in this long, after which its key may go. */
function idleTtlMs(limit: TokenBucketLimit): number {
  return Math.ceil((limit.capacity / limit.refillPerSecond) * 1000) + 1_000;
}

/**
 * Token bucket states kept in Redis, one key each (`tokens:updatedAtMs`), shared by every node.
 * The rules (taking a token) are the pure ones of @parley/domain. `take` applies the one-bucket rule
 * inside Redis, a batch in one round trip; `read` and `write` serve rules over several buckets at
 * once (a sign-in's), with one MGET and one pipeline.
 */
export class RedisBuckets {
  constructor(private readonly redis: Redis) {}

  /**
   * Takes a token from each key's bucket (all with `limit`) in one round trip: undefined when taken,
   * otherwise how long to wait. Throws when Redis fails.
   */
  async take(
    keys: readonly string[],
    nowMs: number,
    limit: TokenBucketLimit,
  ): Promise<(number | undefined)[]> {
    if (keys.length === 0) return [];
    const answers = (await this.redis.eval(
      TAKE_TOKENS,
      keys.length,
      ...keys,
      Math.floor(nowMs),
      limit.capacity,
      limit.refillPerSecond,
      idleTtlMs(limit),
    )) as number[];
    return answers.map((answer) => (answer < 0 ? undefined : answer));
  }

  /** The stored state of each key (undefined for a full, forgotten bucket); throws when Redis fails. */
  async read(keys: readonly string[]): Promise<Map<string, TokenBucketState | undefined>> {
    const stored = await this.redis.mget([...keys]);
    return new Map(keys.map((key, i) => [key, parseState(stored[i] ?? null)]));
  }

  /** Stores the states; a bucket left alone refills completely, so its key expires after that. */
  async write(
    states: ReadonlyMap<string, TokenBucketState | undefined>,
    limitOf: (key: string) => TokenBucketLimit | undefined,
  ): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [key, state] of states) {
      const limit = limitOf(key);
      if (!state || !limit) continue;
      pipeline.set(key, `${state.tokens}:${state.updatedAtMs}`, 'PX', idleTtlMs(limit));
    }
    await pipeline.exec();
  }
}

function parseState(value: string | null): TokenBucketState | undefined {
  if (!value) return undefined;
  const [tokens, updatedAtMs] = value.split(':').map(Number);
  if (tokens === undefined || updatedAtMs === undefined || Number.isNaN(tokens) || Number.isNaN(updatedAtMs))
    return undefined;
  return { tokens, updatedAtMs };
}
