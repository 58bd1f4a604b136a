import { backoffDelay, type BackoffPolicy } from './backoff';
import { isTransient } from './errors';

/** A message waiting in the outbox until Parley has recorded it. */
export interface OutboxEntry {
  /** Given when the message entered the outbox, and used for every attempt (PROTOCOL §2.5). */
  readonly messageId: string;
  /** The conversation it belongs to (for a direct message, the derived id). */
  readonly conversationId: string;
  /** Set for a direct message: sent by `recipientId`, so the first one creates the conversation. */
  readonly recipientId?: string;
  readonly text: string;
  /** The outbox's own order: ascending in the order the app sent. */
  readonly order: number;
  readonly createdAt: string;
  /** Attempts that ended without an answer or with a refusal that retrying can fix. */
  readonly attempts: number;
  /** Epoch ms before which it is not sent again (a `retryAfterMs`, or backoff). */
  readonly notBefore: number;
  /** Set once a refusal that retrying cannot fix came: it stays for the app to show, retry or discard. */
  readonly failure?: { readonly code: string; readonly message: string };
}

export interface SendPlan {
  /** Entries to send now, in outbox order. */
  readonly send: readonly OutboxEntry[];
  /** Epoch ms at which to plan again because a wait ends (undefined: nothing is waiting on time). */
  readonly wakeAt?: number;
}

/**
 * Which entries go out now. Within a conversation one message is in flight at a time and the head
 * (the oldest one not failed) goes first: the gateway orders a session's sends, but a send refused
 * for the rate limit while the next one is recorded would land after it (PROTOCOL §2.5), so waiting
 * for each RECEIPT is what keeps a conversation's order. Conversations go in parallel, up to
 * `maxInFlight` at once. While `pausedUntil` (the user's rate limit) lies ahead, nothing goes.
 */
export function planSends(
  entries: readonly OutboxEntry[],
  inFlight: ReadonlySet<string>,
  now: number,
  options: { readonly maxInFlight: number; readonly pausedUntil?: number },
): SendPlan {
  if (options.pausedUntil !== undefined && options.pausedUntil > now)
    return entries.some((e) => !e.failure) ? { send: [], wakeAt: options.pausedUntil } : { send: [] };
  const heads = new Map<string, OutboxEntry>();
  for (const entry of [...entries].sort((a, b) => a.order - b.order)) {
    if (entry.failure || heads.has(entry.conversationId)) continue;
    heads.set(entry.conversationId, entry);
  }
  const send: OutboxEntry[] = [];
  let wakeAt: number | undefined;
  let busy = inFlight.size;
  for (const head of heads.values()) {
    if (inFlight.has(head.messageId)) continue;
    if (head.notBefore > now) {
      wakeAt = wakeAt === undefined ? head.notBefore : Math.min(wakeAt, head.notBefore);
      continue;
    }
    if (busy >= options.maxInFlight) break;
    send.push(head);
    busy += 1;
  }
  return wakeAt === undefined ? { send } : { send, wakeAt };
}

/** What a refusal (or no answer) means for an entry. */
export type RefusalDecision =
  | {
      readonly kind: 'retry';
      readonly notBefore: number;
      /** Set for `RATE_LIMITED`: the limit is the user's, so every conversation waits. */
      readonly pauseAllUntil?: number;
    }
  | { readonly kind: 'fail' };

/**
 * A refusal that retrying can fix (`RATE_LIMITED`, `UNAVAILABLE`, `INTERNAL`, no answer in time)
 * is retried with the same `messageId` after the server's `retryAfterMs`, or after backoff when it
 * gave none; any other refusal (`TEXT_TOO_LONG`, `NOT_FOUND`, `MESSAGE_ID_TAKEN`, a code this SDK
 * does not know, ...) fails the message.
 */
export function decideOnRefusal(
  entry: OutboxEntry,
  refusal: { readonly code: string; readonly retryAfterMs?: number },
  now: number,
  backoff: BackoffPolicy,
  random: () => number = Math.random,
): RefusalDecision {
  if (!isTransient(refusal.code)) return { kind: 'fail' };
  const wait = refusal.retryAfterMs ?? backoffDelay(entry.attempts, backoff, random);
  const notBefore = now + Math.max(0, wait);
  return refusal.code === 'RATE_LIMITED'
    ? { kind: 'retry', notBefore, pauseAllUntil: notBefore }
    : { kind: 'retry', notBefore };
}
