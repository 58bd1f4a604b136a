/**
 * A request this node cannot take on right now through no fault of the client (a dependency such as
 * Kafka is down, or its queue for the work is full): answered `503 UNAVAILABLE` with when to try
 * again. Not a DomainError, since nothing about the request was wrong, and retriable.
 */
export class UnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
  readonly retriable = true;
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnavailableError';
  }
}

/** This node's queue for the work is full (password hashing). */
export class OverloadedError extends UnavailableError {
  constructor(message: string, retryAfterMs: number) {
    super(message, retryAfterMs);
    this.name = 'OverloadedError';
  }
}
