/**
 * What a send does with the `message_claims` row of its messageId: the whole rule, as a pure
 * function of the row and the clock, so that lease expiry, takeover and release are testable
 * without a database. MessageService performs the decision and asks again.
 */

/** The claim of one messageId as the database last showed it. */
export type ClaimState =
  /** No row: never claimed, or the first attempt was refused and forgot its claim. */
  | { readonly kind: 'none' }
  | {
      readonly kind: 'claimed';
      readonly senderId: string;
      readonly conversationId: string;
      readonly sentAtMs: number;
      /** Kafka has the event: the answer is final. */
      readonly acked: boolean;
      /** Until then an attempt may be producing the event; released claims end their lease at once. */
      readonly leaseUntilMs: number;
    };

export interface ClaimAttempt {
  readonly senderId: string;
  /** The clock the lease was written by (the database's), read when the state was. */
  readonly nowMs: number;
  /** How many times this attempt has already waited for another one. */
  readonly waits: number;
}

export type ClaimDecision =
  /** Insert a claim (the statement returns the existing row if another attempt got there first). */
  | { readonly do: 'claim' }
  /** The messageId was sent: give the first result back, produce nothing. */
  | { readonly do: 'answer'; readonly conversationId: string; readonly sentAtMs: number }
  /** Another user's message has this messageId. */
  | { readonly do: 'refuse-taken' }
  /**
   * The attempt that held the claim failed or died before Kafka had the event: this attempt takes
   * the claim over and finishes the send. The sender's right to send is checked again first: the
   * claim was made before the first attempt's check, and membership may have changed since.
   */
  | { readonly do: 'take-over' }
  /** Another attempt holds the lease: look again after `ms`. */
  | { readonly do: 'wait'; readonly ms: number };

export const FIRST_WAIT_MS = 10;
export const MAX_WAIT_MS = 200;

/** Doubling from FIRST_WAIT_MS: answers arrive soon after the holder's ack without polling hard for 40 s. */
export function waitMs(waits: number): number {
  return Math.min(FIRST_WAIT_MS * 2 ** Math.max(0, waits), MAX_WAIT_MS);
}

export function decideClaim(state: ClaimState, attempt: ClaimAttempt): ClaimDecision {
  if (state.kind === 'none') return { do: 'claim' };
  // Before acked: a repeat by another user learns nothing about the message, sent or not.
  if (state.senderId !== attempt.senderId) return { do: 'refuse-taken' };
  if (state.acked) return { do: 'answer', conversationId: state.conversationId, sentAtMs: state.sentAtMs };
  // The same comparison as the takeover statement (`lease_until <= now()`), so a take-over
  // decision is one the database agrees with.
  if (state.leaseUntilMs <= attempt.nowMs) return { do: 'take-over' };
  return { do: 'wait', ms: waitMs(attempt.waits) };
}
