/** What the notifier reports as it works (metrics count them): names are constants, as kafkajs does. */
export const NOTIFIER_EVENTS = {
  /** A push service accepted a notification for one subscription. */
  sent: 'push.sent',
  /** A notification to one subscription was given up (an answer that cannot improve, or retries spent). */
  failed: 'push.failed',
  /** A subscription was deleted: its push service answered 404 or 410. */
  dropped: 'push.dropped',
  /** A 429, 5xx or missing answer is tried again after a wait. */
  retried: 'push.retried',
  /** A pending message got no notification (account inactive, online, delivered, read, deleted, no subscription). */
  skipped: 'push.skipped',
} as const;

export type NotifierEvent =
  | { readonly name: typeof NOTIFIER_EVENTS.sent }
  | { readonly name: typeof NOTIFIER_EVENTS.failed; readonly cause: string; readonly reason: string }
  | { readonly name: typeof NOTIFIER_EVENTS.dropped; readonly status: number }
  | { readonly name: typeof NOTIFIER_EVENTS.retried; readonly delayMs: number }
  | { readonly name: typeof NOTIFIER_EVENTS.skipped; readonly reason: string; readonly messages: number };

export type NotifierInstrument = (event: NotifierEvent) => void;
