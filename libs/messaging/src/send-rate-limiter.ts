import type { Redis } from 'ioredis';
import { DomainError, type TokenBucketLimit } from '@parley/domain';
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
 * A per-user limit (sends, read receipts, typing): a token bucket (the rule of @parley/domain) whose
 * state lives in Redis, shared by every gateway node. The sends of one event-loop turn cost one
 * round trip: the rule runs in Redis (RedisBuckets.take), so a send waits for one answer, not for a
 * read and then a write (two wake-ups of the gateway and of Redis per message at everyday rates),
 * and nodes no longer race on a user. If Redis is unreachable the limit is not enforced (logged):
 * a Redis blip must not stop the chat.
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
    // Not serial: each batch is one atomic script, so batches may overlap.
    this.batcher = new MicroBatcher((userIds) => this.takeAll(userIds), { maxBatch: 500 });
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
    try {
      return await this.buckets.take(
        userIds.map((id) => this.keyOf(id)),
        this.now(),
        this.limit,
      );
    } catch (error) {
      this.logger?.warn(
        { err: error },
        'rate limit state unreachable (Redis); sends are not limited meanwhile',
      );
      return userIds.map(() => undefined);
    }
  }
}
