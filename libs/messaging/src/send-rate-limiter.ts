import type { Redis } from 'ioredis';
import { DomainError, takeToken, type TokenBucketLimit, type TokenBucketState } from '@parley/domain';
import type { Logger } from '@parley/logging';
import { MicroBatcher, RedisBuckets } from '@parley/runtime';

/** What a bucket limits: sends, read receipts or typing notices (each user has one bucket of each). */
export type RateLimitedAction = 'send' | 'read' | 'typing' | 'lookup';

const TOO_MANY: Record<RateLimitedAction, string> = {
  send: 'too many messages',
  read: 'too many read receipts',
  typing: 'too many typing notices',
  lookup: 'too many user lookups',
};

export class RateLimitedError extends DomainError {
  constructor(
    readonly retryAfterMs: number,
    action: RateLimitedAction = 'send',
  ) {
    super('rate_limited', 'RATE_LIMITED', `${TOO_MANY[action]}; try again in ${retryAfterMs} ms`, {
      retryAfterMs,
    });
  }
}

/**
 * A per-user limit (sends, read receipts, typing): a token bucket (the pure rule in @parley/domain) whose state lives in
 * Redis, shared by every gateway node. The sends of one event-loop turn cost one MGET and one
 * pipelined write. Two nodes racing on one user may let a send or two more through; a limit is a
 * guard, not an invariant. If Redis is unreachable the limit is not enforced (logged): a Redis blip
 * must not stop the chat.
 */
export class SendRateLimiter {
  private readonly batcher: MicroBatcher<string, number | undefined>;
  private readonly buckets: RedisBuckets;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly limit: TokenBucketLimit,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
    private readonly action: RateLimitedAction = 'send',
  ) {
    this.buckets = new RedisBuckets(redis);
    this.batcher = new MicroBatcher((userIds) => this.takeAll(userIds), { maxBatch: 500, serial: true });
  }

  /** Takes one token for the user, or throws RateLimitedError. */
  async take(userId: string): Promise<void> {
    const retryAfterMs = await this.batcher.submit(userId);
    if (retryAfterMs !== undefined) throw new RateLimitedError(retryAfterMs, this.action);
  }

  /** The bucket's Redis key (`ratelimit:send:{user}`, `ratelimit:read:{user}`, ...). */
  private keyOf(userId: string): string {
    return `${this.keyPrefix}ratelimit:${this.action}:${userId}`;
  }

  /** For each user, undefined (allowed) or how long to wait. */
  private async takeAll(userIds: readonly string[]): Promise<(number | undefined)[]> {
    const keys = [...new Set(userIds)].map((id) => this.keyOf(id));
    let states: Map<string, TokenBucketState | undefined>;
    try {
      states = await this.buckets.read(keys);
    } catch (error) {
      this.logger?.warn(
        { err: error },
        'rate limit state unreadable (Redis); sends are not limited meanwhile',
      );
      return userIds.map(() => undefined);
    }
    const nowMs = this.now();
    const answers = userIds.map((userId) => {
      const key = this.keyOf(userId);
      const result = takeToken(states.get(key), nowMs, this.limit);
      states.set(key, result.state);
      return result.allowed ? undefined : result.retryAfterMs;
    });
    await this.buckets
      .write(states, () => this.limit)
      .catch((error: unknown) => {
        this.logger?.warn({ err: error }, 'rate limit state not saved (Redis)');
      });
    return answers;
  }
}
