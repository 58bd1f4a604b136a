import type { Logger } from '@parley/logging';
import type { PresenceTracker } from './presence-tracker';

export interface PresenceSweepOptions {
  readonly intervalMs?: number;
  /** Told of the users a sweep turned offline (once per flip), after their PresenceChanged. */
  readonly wentOffline?: (userIds: readonly string[]) => Promise<void>;
  readonly logger?: Logger;
}

/**
 * Runs the tracker's sweep every `intervalMs` (one sweep at a time): users whose sessions ended or
 * expired go offline. Any number of nodes may run it; each flip is recorded once.
 */
export function startPresenceSweep(
  tracker: PresenceTracker,
  options: PresenceSweepOptions = {},
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= tracker
      .sweep()
      .then(async (offline) => {
        if (offline.length > 0) await options.wentOffline?.(offline);
      })
      .then(
        () => undefined,
        (error: unknown) => options.logger?.warn({ err: error }, 'presence sweep failed (Redis?)'),
      )
      .finally(() => (running = undefined));
  }, options.intervalMs ?? 1_000);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
