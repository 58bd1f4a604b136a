import { CommanderError } from 'commander';
import { RebuildBusyError } from '@parley/projections';
import { ReadRangeError } from '@parley/kafka';
import { CliError } from '@parley/operations';

/** `projections verify` found differences: reported, exit 1. */
export class VerifyMismatch extends Error {}

/**
 * The exit code for what a command line threw (0 help shown, 1 failed, 2 refused), after telling
 * stderr why; commander has already printed its own usage errors.
 */
export function exitCodeFor(error: unknown, err: NodeJS.WriteStream): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof VerifyMismatch) {
    err.write(`parley: ${error.message}\n`);
    return 1;
  }
  if (error instanceof CliError || error instanceof ReadRangeError || error instanceof RebuildBusyError) {
    err.write(`parley: ${error.message}\n`);
    return 2;
  }
  err.write(`parley: failed: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}
