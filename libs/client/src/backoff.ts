/** How long to wait between attempts: doubling from `initialMs`, at most `maxMs`. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };
export const DEFAULT_RETRY_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000 };

/**
 * The wait before attempt `attempt` (0 for the first retry): exponential, with "equal jitter": a
 * random point in the upper half of the step, so clients that lost the same server spread their
 * returns without any of them hammering it at once.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
