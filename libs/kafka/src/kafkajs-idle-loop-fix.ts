// kafkajs 2.2.4 wakes every process that holds a connection to a broker about a thousand times a
// second, idle or not: each answered request calls RequestQueue.checkPendingRequests, which always
// schedules itself again with `setTimeout(check, throttledUntil - Date.now())`, a negative delay,
// so 1 ms, forever (tulios/kafkajs#1556, #1604, #1704; the fix in #1667 is not released). Here an
// idle consumer used 7 % of a core on it, and every wake-up costs a process 200-300 µs of CPU at
// everyday rates (docs/status.md, session 17). This replaces that one method with the proposed
// fix: a check is scheduled only while requests are waiting to be sent (held back by throttling or
// by the in-flight limit); an answered request still checks the queue at once, as before.
import { readFileSync } from 'node:fs';

/** The kafkajs version whose RequestQueue this replaces the method of; another one is left alone. */
export const PATCHED_KAFKAJS_VERSION = '2.2.4';
/** kafkajs's own CHECK_PENDING_REQUESTS_INTERVAL (not exported). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const throttledForMs = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttledForMs > 0 ? throttledForMs : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/** kafkajs's RequestQueue class (internal: not part of its public API, hence the version check). */
export function kafkajsRequestQueue(): { prototype: RequestQueueInternals } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
}

/** Applies the fix once per process; says whether kafkajs is the version it was written for. */
export function fixKafkajsIdleLoop(): boolean {
  const { version } = JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as {
    version: string;
  };
  if (version !== PATCHED_KAFKAJS_VERSION) return false;
  kafkajsRequestQueue().prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}
