import type { Redis } from 'ioredis';
import {
  DomainError,
  USERNAME_PATTERN,
  takeTokenFromEach,
  type TokenBucketLimit,
  type TokenBucketState,
} from '@parley/domain';
import type { Logger } from '@parley/logging';
import { MicroBatcher, RedisBuckets } from '@parley/runtime';
import { signInKeys } from './sign-in-keys';

/** The sign-in limits (README: LOGIN_*, REGISTER_*). */
export interface SignInLimits {
  /** Login attempts at one username, from anywhere. */
  readonly loginPerUsername: TokenBucketLimit;
  /** Login attempts from one client address, at any usernames. */
  readonly loginPerAddress: TokenBucketLimit;
  /** Registrations from one client address. */
  readonly registerPerAddress: TokenBucketLimit;
  /** Provider sign-in starts and callbacks from one client address (none: not limited). */
  readonly providerPerAddress?: TokenBucketLimit;
}

interface Bucket {
  readonly key: string;
  readonly limit: TokenBucketLimit;
  /** What the client is told is over its limit. */
  readonly over: string;
}

interface Refusal {
  readonly retryAfterMs: number;
  readonly over: string;
}

/**
 * Token buckets for login and registration, kept in Redis so every gateway node counts together
 * (the pure rule is @parley/domain's; the attempts of one event-loop turn cost one MGET and one
 * pipelined write, one batch at a time: an attempt's buckets are taken all or none, which the send
 * limit's one-bucket script does not do). An attempt takes a
 * token from each of its buckets or from none. Two nodes racing on one bucket may let an attempt or
 * two more through; if Redis is unreachable nothing is limited (logged): the per-node hashing cap
 * still bounds the work, and a Redis blip must not lock everybody out.
 */
export class SignInThrottle {
  private readonly batcher: MicroBatcher<readonly Bucket[], Refusal | undefined>;

  private readonly buckets: RedisBuckets;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly limits: SignInLimits,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new RedisBuckets(redis);
    this.batcher = new MicroBatcher((attempts) => this.takeAll(attempts), { maxBatch: 500, serial: true });
  }

  /**
   * A login attempt from `clientAddress` (see clientAddressKey) at `username`. A name no account
   * can have costs only the address's token.
   */
  async login(clientAddress: string, username: unknown): Promise<void> {
    const buckets: Bucket[] = [
      {
        key: signInKeys.loginByAddress(this.keyPrefix, clientAddress),
        limit: this.limits.loginPerAddress,
        over: 'too many sign-in attempts from your address',
      },
    ];
    if (typeof username === 'string' && USERNAME_PATTERN.test(username)) {
      buckets.push({
        key: signInKeys.loginByUsername(this.keyPrefix, username),
        limit: this.limits.loginPerUsername,
        over: 'too many sign-in attempts for this username',
      });
    }
    await this.take(buckets);
  }

  async register(clientAddress: string): Promise<void> {
    await this.take([
      {
        key: signInKeys.registerByAddress(this.keyPrefix, clientAddress),
        limit: this.limits.registerPerAddress,
        over: 'too many registrations from your address',
      },
    ]);
  }

  /** A provider sign-in's start or callback from `clientAddress`. */
  async providerSignIn(clientAddress: string): Promise<void> {
    const limit = this.limits.providerPerAddress;
    if (!limit) return;
    await this.take([
      {
        key: signInKeys.providerByAddress(this.keyPrefix, clientAddress),
        limit,
        over: 'too many provider sign-ins from your address',
      },
    ]);
  }

  private async take(buckets: readonly Bucket[]): Promise<void> {
    const refusal = await this.batcher.submit(buckets);
    if (!refusal) return;
    const seconds = Math.ceil(refusal.retryAfterMs / 1000);
    throw new DomainError('rate_limited', 'RATE_LIMITED', `${refusal.over}; try again in ${seconds} s`, {
      retryAfterMs: refusal.retryAfterMs,
    });
  }

  /** For each attempt, undefined (allowed) or the refusal. */
  private async takeAll(attempts: readonly (readonly Bucket[])[]): Promise<(Refusal | undefined)[]> {
    const limits = new Map<string, TokenBucketLimit>();
    for (const bucket of attempts.flat()) limits.set(bucket.key, bucket.limit);
    const keys = [...limits.keys()];
    let states: Map<string, TokenBucketState | undefined>;
    try {
      states = await this.buckets.read(keys);
    } catch (error) {
      this.logger?.warn(
        { err: error },
        'sign-in limits unreadable (Redis); sign-ins are not limited meanwhile',
      );
      return attempts.map(() => undefined);
    }
    const nowMs = this.now();
    const answers = attempts.map((buckets) => {
      const result = takeTokenFromEach(
        buckets.map((bucket) => ({ state: states.get(bucket.key), limit: bucket.limit })),
        nowMs,
      );
      buckets.forEach((bucket, i) => states.set(bucket.key, result.states[i]));
      if (result.allowed) return undefined;
      return {
        retryAfterMs: result.retryAfterMs,
        over: buckets[result.refusedBy]?.over ?? 'too many attempts',
      };
    });
    await this.buckets
      .write(states, (key) => limits.get(key))
      .catch((error: unknown) => {
        this.logger?.warn({ err: error }, 'sign-in limit state not saved (Redis)');
      });
    return answers;
  }
}
