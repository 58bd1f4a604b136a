/** When a supervised service is restarted after it died. */
export interface RestartPolicy {
  /** Wait before the first restart after a crash. */
  readonly initialDelayMs: number;
  /** The wait doubles with each crash in a row, up to this. */
  readonly maxDelayMs: number;
  /** A service that stayed up this long before it died starts a new series of crashes. */
  readonly resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  resetAfterMs: 60_000,
};

/** What the supervisor remembers of a service's deaths. */
export interface CrashHistory {
  /** Crashes without a long enough run in between (this one included, once decided). */
  readonly inARow: number;
  /** Every crash since the supervisor started it. */
  readonly total: number;
}

export const NO_CRASHES: CrashHistory = { inARow: 0, total: 0 };

export type RestartDecision =
  | { readonly restart: false }
  | { readonly restart: true; readonly delayMs: number; readonly history: CrashHistory };

/**
 * Decides what follows a supervised process's exit. A stop the supervisor asked for (or a shutdown
 * in progress) is final; any other exit is a crash, restarted after a wait that doubles with each
 * crash in a row (so a service that cannot start does not spin), and that starts over once the
 * service had stayed up for `resetAfterMs`.
 */
export function decideRestart(
  exit: { readonly stopping: boolean; readonly uptimeMs: number; readonly history: CrashHistory },
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): RestartDecision {
  if (exit.stopping) return { restart: false };
  const inARow = exit.uptimeMs >= policy.resetAfterMs ? 1 : exit.history.inARow + 1;
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(inARow - 1, 30));
  return { restart: true, delayMs, history: { inARow, total: exit.history.total + 1 } };
}
