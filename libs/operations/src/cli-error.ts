/** A refusal the CLI prints as one line (no stack) with what to do next, and exits with 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
