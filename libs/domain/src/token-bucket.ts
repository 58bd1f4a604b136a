export interface TokenBucketLimit {
  /** Most requests in a burst. */
  readonly capacity: number;
  /** Sustained requests per second. */
  readonly refillPerSecond: number;
}

export interface TokenBucketState {
  readonly tokens: number;
  readonly updatedAtMs: number;
}

export type TakeResult =
  | { readonly allowed: true; readonly state: TokenBucketState }
  | { readonly allowed: false; readonly state: TokenBucketState; readonly retryAfterMs: number };

/**
 * The per-user send limit as a pure rule (the gateway keeps the state in Redis): a bucket of
 * `capacity` tokens refilled continuously; each send takes one.
 */
export function takeToken(
  state: TokenBucketState | undefined,
  nowMs: number,
  limit: TokenBucketLimit,
): TakeResult {
  const elapsed = state ? Math.max(0, nowMs - state.updatedAtMs) : 0;
  const tokens = state
    ? Math.min(limit.capacity, state.tokens + (elapsed / 1000) * limit.refillPerSecond)
    : limit.capacity;
  if (tokens >= 1) return { allowed: true, state: { tokens: tokens - 1, updatedAtMs: nowMs } };
  return {
    allowed: false,
    state: { tokens, updatedAtMs: nowMs },
    retryAfterMs: Math.ceil(((1 - tokens) / limit.refillPerSecond) * 1000),
  };
}

export interface BucketToTake {
  readonly state: TokenBucketState | undefined;
  readonly limit: TokenBucketLimit;
}

export type TakeEachResult =
  | { readonly allowed: true; readonly states: readonly TokenBucketState[] }
  | {
      readonly allowed: false;
      readonly states: readonly TokenBucketState[];
      readonly retryAfterMs: number;
      /** The bucket that refills last (the one to name to the client). */
      readonly refusedBy: number;
    };

/**
 * One request that must pass several buckets (a sign-in: per client address and per username). It
 * takes a token from every bucket or from none, so a request that one bucket refuses does not drain
 * the others (an address over its limit does not use up a username's attempts). Refused, it has to
 * wait for the bucket that refills last.
 */
export function takeTokenFromEach(buckets: readonly BucketToTake[], nowMs: number): TakeEachResult {
  const results = buckets.map((bucket) => takeToken(bucket.state, nowMs, bucket.limit));
  let refusedBy = -1;
  let retryAfterMs = 0;
  results.forEach((result, i) => {
    if (!result.allowed && (refusedBy < 0 || result.retryAfterMs > retryAfterMs)) {
      refusedBy = i;
      retryAfterMs = result.retryAfterMs;
    }
  });
  if (refusedBy < 0) return { allowed: true, states: results.map((result) => result.state) };
  // Nothing is taken: a bucket that had a token keeps it (and what it refilled until now).
  const states = results.map((result) =>
    result.allowed
      ? { tokens: result.state.tokens + 1, updatedAtMs: result.state.updatedAtMs }
      : result.state,
  );
  return { allowed: false, states, retryAfterMs, refusedBy };
}
