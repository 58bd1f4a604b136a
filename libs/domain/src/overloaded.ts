/**
 * A request this node cannot take on right now through no fault of the client (its queue for the
 * work is full): answered `503 UNAVAILABLE` with when to try again. Not a DomainError, since nothing
 * about the request was wrong, and retriable.
 */
export class OverloadedError extends Error {
  readonly code = 'UNAVAILABLE';
  readonly retriable = true;
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'OverloadedError';
  }
}
