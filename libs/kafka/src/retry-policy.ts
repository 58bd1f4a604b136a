/** Why a failed step will or will not be tried again. */
export type RetryVerdict =
  /** A blip (network, broker, database restart): retry for as long as it takes. */
  | 'transient'
  /** Unknown: retry a few times, then treat as permanent so one bad record cannot stall a partition. */
  | 'unknown'
  /** Can never succeed (bad data, programming error): do not retry. */
  | 'permanent';

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, serialization failure, deadlock.
  '57P01',
  '57P02',
  '57P03',
  '40001',
  '40P01',
]);

const PROGRAMMING_ERRORS = [TypeError, RangeError, SyntaxError, ReferenceError];

/** Classifies an error by its `retriable` flag, its code, and its kind; follows `cause` chains. */
export function classifyError(error: unknown): RetryVerdict {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const flagged = (error as { retriable?: unknown }).retriable;
  if (flagged === false) return 'permanent';
  if (flagged === true) return 'transient';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) return 'transient';
  // PostgreSQL data exceptions (22), integrity violations (23) and SQL errors (42) fail the same way every time.
  if (typeof code === 'string' && /^(22|23|42)[0-9A-Z]{3}$/.test(code)) return 'permanent';
  if (PROGRAMMING_ERRORS.some((kind) => error instanceof kind)) return 'permanent';
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined ? 'unknown' : classifyError(cause);
}

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000 };

/**
 * Exponential backoff with "full jitter" (a random delay up to the exponential cap), so that many
 * consumers failing together do not retry in lockstep. `random` is injected for tests.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
