import type { Logger } from '@parley/logging';
import type { PresenceTracker } from './presence-tracker';

/**
 * Runs the tracker's sweep every `intervalMs` (one sweep at a time): users whose sessions ended or
 * expired go offline. Any number of nodes may run it; each flip is recorded once.
 */
export function startPresenceSweep(
  tracker: PresenceTracker,
  options: { readonly intervalMs?: number; readonly logger?: Logger } = {},
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= tracker
      .sweep()
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
