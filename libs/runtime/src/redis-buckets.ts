import type { Redis } from 'ioredis';
import type { TokenBucketLimit, TokenBucketState } from '@parley/domain';

/**
 * Token bucket states kept in Redis, one key each (`tokens:updatedAtMs`), shared by every node.
 * The rules (taking a token) are the pure ones of @parley/domain; this only reads and writes them,
 * each batch with one MGET and one pipeline.
 */
export class RedisBuckets {
  constructor(private readonly redis: Redis) {}

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
      const ttlMs = Math.ceil((limit.capacity / limit.refillPerSecond) * 1000) + 1_000;
      pipeline.set(key, `${state.tokens}:${state.updatedAtMs}`, 'PX', ttlMs);
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
