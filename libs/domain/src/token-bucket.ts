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
