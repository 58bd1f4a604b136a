// What a push service's answer means for one subscription (RFC 8030 §§5-7), pure: sent, the
// subscription is gone, try again after a wait, or give up. The clock and the randomness of the
// jitter are arguments.

/** How one notification to one subscription is retried. */
export interface PushRetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The first wait; doubled per attempt (half of it random). */
  readonly initialMs: number;
  /** The longest wait; a Retry-After asking for more gives up instead of waiting past it. */
  readonly maxMs: number;
}

/** What came back from one attempt. */
export type SendAttempt =
  | {
      readonly kind: 'answered';
      readonly status: number;
      /** The Retry-After header, if any: seconds, or an HTTP date. */
      readonly retryAfter?: string;
    }
  /** No answer: a refused connection, a reset, no complete answer by the request's deadline. */
  | { readonly kind: 'no-answer'; readonly reason: string }
  /** Not sent, and never will be: an endpoint this installation does not send to, keys it cannot encrypt for. */
  | { readonly kind: 'not-sent'; readonly reason: string };

export type SendVerdict =
  | { readonly kind: 'sent' }
  /** 404 or 410: the subscription expired or was withdrawn; it is deleted. */
  | { readonly kind: 'gone'; readonly status: number }
  | { readonly kind: 'retry'; readonly delayMs: number }
  /** `rejected`: an answer that would not change; `exhausted`: retries spent or the wait too long. */
  | { readonly kind: 'failed'; readonly cause: 'rejected' | 'exhausted'; readonly reason: string };

/** Retry-After in milliseconds from now (delta-seconds or an HTTP date); undefined if unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const retriable = (attempt: SendAttempt): boolean =>
  attempt.kind === 'no-answer' ||
  (attempt.kind === 'answered' && (attempt.status === 429 || attempt.status >= 500));

/**
 * The verdict on attempt number `attempt` (1 for the first). 2xx is sent; 404 and 410 drop the
 * subscription; 429, 5xx and no answer are tried again after max(backoff, Retry-After), while
 * attempts remain and the wait is within `maxMs`; any other answer (400, 401, 403, 413) would fail
 * the same way again and is given up at once.
 */
export function judgeAttempt(
  result: SendAttempt,
  attempt: number,
  policy: PushRetryPolicy,
  now: number,
  random: () => number = Math.random,
): SendVerdict {
  if (result.kind === 'not-sent') return { kind: 'failed', cause: 'rejected', reason: result.reason };
  if (result.kind === 'answered') {
    if (result.status >= 200 && result.status < 300) return { kind: 'sent' };
    if (result.status === 404 || result.status === 410) return { kind: 'gone', status: result.status };
  }
  const what = result.kind === 'answered' ? `status ${result.status}` : result.reason;
  if (!retriable(result)) return { kind: 'failed', cause: 'rejected', reason: what };
  if (attempt >= policy.maxAttempts)
    return { kind: 'failed', cause: 'exhausted', reason: `${what} after ${attempt} attempts` };
  const backoff = Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1));
  const asked = result.kind === 'answered' ? retryAfterMs(result.retryAfter, now) : undefined;
  if (asked !== undefined && asked > policy.maxMs)
    return {
      kind: 'failed',
      cause: 'exhausted',
      reason: `${what}: Retry-After of ${Math.ceil(asked / 1000)} s is longer than allowed`,
    };
  // Half the backoff plus a random half spreads many notifiers' retries; a Retry-After is a floor.
  const jittered = Math.round(backoff / 2 + (random() * backoff) / 2);
  return { kind: 'retry', delayMs: Math.max(jittered, asked ?? 0) };
}
