/** Where an error came from, so an app can tell a refusal from a broken connection. */
export type ErrorSource = 'http' | 'refusal' | 'connect' | 'network' | 'client';

/**
 * Every error the SDK reports. `code` is Parley's stable code (PROTOCOL §5) when the server gave one,
 * or one of the SDK's own: `NETWORK` (no answer), `TIMEOUT`, `CLOSED` (the client was closed),
 * `NOT_SIGNED_IN`, `RENEWAL_FAILED`, `BAD_ANSWER` (an answer the SDK could not read).
 */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  constructor(
    readonly code: string,
    message: string,
    readonly source: ErrorSource,
    readonly details: { readonly status?: number; readonly retryAfterMs?: number } = {},
  ) {
    super(message);
  }

  /** The HTTP status, for errors of HTTP calls. */
  get status(): number | undefined {
    return this.details.status;
  }

  /** When the server said to try again, in milliseconds. */
  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}

/**
 * Codes that say "the same request may succeed later": the rate limit, a service that was
 * unavailable, a fault on the server's side (PROTOCOL §5: `INTERNAL` is safe to try again).
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
  'NETWORK',
  'TIMEOUT',
]);

/** True when retrying the same request can succeed; every other refusal is final for that request. */
export function isTransient(code: string): boolean {
  return TRANSIENT_CODES.has(code);
}

/**
 * Codes of a refused CONNECT that reconnecting with the same token cannot fix (PROTOCOL §3.1, §3.7).
 * `TOKEN_EXPIRED` is not among them: a renewed token fixes it.
 */
const FATAL_CONNECT_CODES: ReadonlySet<string> = new Set([
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'ACCOUNT_DISABLED',
  'INVALID_ID',
  'unsupported STOMP version',
]);

export function isFatalConnectCode(code: string): boolean {
  return FATAL_CONNECT_CODES.has(code);
}
