// The open loop's driver, shared by bench:e2e and bench:floor: sends on schedule, and waits.
import { performance } from 'node:perf_hooks';
import { dueCount, scheduledOffsetMs } from './open-loop';

/** Resolves after `delayMs` (at once when it is not positive). */
export const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, delayMs)));

/**
 * Sends `total` messages on the open-loop schedule at `rate`: `sendOne(j, scheduledAt)` for each,
 * on time or as soon after as the event loop allows, never waiting for anything the system does.
 * Resolves with the start and the moment the last one left.
 */
export async function drive(
  rate: number,
  total: number,
  sendOne: (index: number, scheduledAt: number) => void,
): Promise<{ start: number; end: number }> {
  const start = performance.now();
  let next = 0;
  while (next < total) {
    const due = dueCount(performance.now() - start, rate, total);
    for (; next < due; next++) sendOne(next, start + scheduledOffsetMs(next, rate));
    if (next < total) await sleep(start + scheduledOffsetMs(next, rate) - performance.now());
  }
  return { start, end: performance.now() };
}

/** Polls `done` every 50 ms until it holds or `deadline` (performance.now()) passes. */
export async function waitUntil(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && performance.now() < deadline) await sleep(50);
}
