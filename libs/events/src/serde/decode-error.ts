/** A record that can never be decoded; consumers send it to the dead-letter topic instead of retrying. */
export class DecodeError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
  }
}
