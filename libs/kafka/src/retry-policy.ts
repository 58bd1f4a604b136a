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
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, serialization failure, deadlock,
  // lock not available, query cancelled (statement timeout), and class 53 (too many connections,
  // out of memory or disk).
  '57P01',
  '57P02',
  '57P03',
  '57014',
  '40001',
  '40P01',
  '55P03',
  '53000',
  '53100',
  '53200',
  '53300',
  '53400',
  // Kafka, when no leader or broker answered in time (BatchingProducer's deadline).
  'KAFKA_UNAVAILABLE',
]);

/**
 * Failures that name a lost or refused connection only in their text: clients that wrap a socket
 * error into a message (the schema registry client turns ECONNREFUSED into "status 400: connect
 * ECONNREFUSED ..."; node-postgres says "Connection terminated unexpectedly").
 */
const TRANSIENT_MESSAGE =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|socket hang up)\b|Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)/i;

const PROGRAMMING_ERRORS = [TypeError, RangeError, SyntaxError, ReferenceError];

/**
 * An HTTP answer (the schema registry's): the server failing, overloaded or timing out is transient;
 * any other status is the answer and comes again.
 */
function httpVerdict(error: object): RetryVerdict | undefined {
  const status = (error as { status?: unknown }).status;
  if (typeof status !== 'number' || (error as { name?: unknown }).name !== 'ResponseError') return undefined;
  if (status >= 500 || status === 408 || status === 429) return 'transient';
  return undefined;
}

/**
 * Classifies an error by its `retriable` flag, its code, its kind and its text; follows `cause`
 * chains. Transient failures are retried for as long as they last and never dead-letter a record.
 */
export function classifyError(error: unknown): RetryVerdict {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const name = (error as { name?: unknown }).name;
  const cause = (error as { cause?: unknown }).cause;
  // kafkajs marks "gave up retrying" non-retriable; what it gave up on decides.
  if (name === 'KafkaJSNumberOfRetriesExceeded')
    return cause === undefined ? 'transient' : orTransient(cause);
  const flagged = (error as { retriable?: unknown }).retriable;
  if (flagged === false) return 'permanent';
  if (flagged === true) return 'transient';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)))
    return 'transient';
  // PostgreSQL data exceptions (22), integrity violations (23) and SQL errors (42) fail the same way every time.
  if (typeof code === 'string' && /^(22|23|42)[0-9A-Z]{3}$/.test(code)) return 'permanent';
  const http = httpVerdict(error);
  if (http) return http;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && TRANSIENT_MESSAGE.test(message)) return 'transient';
  if (PROGRAMMING_ERRORS.some((kind) => error instanceof kind)) return 'permanent';
  return cause === undefined ? 'unknown' : classifyError(cause);
}

/** Retries were exhausted on this error: transient unless it is known to be permanent. */
function orTransient(cause: unknown): RetryVerdict {
  return classifyError(cause) === 'permanent' ? 'permanent' : 'transient';
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
