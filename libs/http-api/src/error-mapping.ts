import { DomainError, UnavailableError, type DomainErrorKind } from '@parley/domain';
import { classifyError } from '@parley/kafka';

export const HTTP_STATUS: Readonly<Record<DomainErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
};

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly retryAfterMs?: number };
}

/** PROTOCOL §1: every error has one JSON shape. Unknown failures never leak their details. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof DomainError) {
    const retryAfterMs = error.details?.retryAfterMs;
    const retry = typeof retryAfterMs === 'number' ? { retryAfterMs } : {};
    return {
      status: HTTP_STATUS[error.kind],
      body: { error: { code: error.code, message: error.message, ...retry } },
    };
  }
  if (error instanceof UnavailableError) {
    const { code, message, retryAfterMs } = error;
    return { status: 503, body: { error: { code, message, retryAfterMs } } };
  }
  const {
    type,
    status: bodyStatus,
    expose,
  } = (error ?? {}) as { type?: unknown; status?: unknown; expose?: unknown };
  if (type === 'entity.parse.failed') {
    return {
      status: 400,
      body: { error: { code: 'MALFORMED_JSON', message: 'request body is not valid JSON' } },
    };
  }
  if (type === 'entity.too.large') {
    return { status: 413, body: { error: { code: 'BODY_TOO_LARGE', message: 'request body is too large' } } };
  }
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    const message =
      'request body must be JSON in UTF-8, without a content-encoding or with gzip, deflate or br';
    return { status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message } } };
  }
  // Any other body the parser could not read (a content-encoding that does not decode, a truncated
  // request): the client's fault, whatever the reason; body-parser says so with an exposed 4xx.
  if (typeof bodyStatus === 'number' && bodyStatus >= 400 && bodyStatus < 500 && expose === true) {
    return {
      status: 400,
      body: { error: { code: 'MALFORMED_BODY', message: 'request body could not be read' } },
    };
  }
  // A dependency that is away for a moment (PostgreSQL restarting, a connection refused): the
  // same answer as for Kafka away, so a client backs off and repeats instead of giving up.
  if (classifyError(error) === 'transient') {
    const message = 'a service Parley depends on is unavailable for a moment; try again';
    return {
      status: 503,
      body: { error: { code: 'UNAVAILABLE', message, retryAfterMs: DEPENDENCY_RETRY_AFTER_MS } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'something went wrong on our side; try again' } },
  };
}

/** What a client is told to wait when a database or cache connection failed. */
const DEPENDENCY_RETRY_AFTER_MS = 1_000;

/** `Retry-After` (whole seconds, rounded up) for an error that says when to try again. */
export function retryAfterHeader(body: ErrorBody): Record<string, string> {
  const ms = body.error.retryAfterMs;
  return ms === undefined ? {} : { 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))) };
}
