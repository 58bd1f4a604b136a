import { CliError } from './cli-error';
import type { ResetTarget } from './group-offsets';
import { parseTime } from './read-start';

/**
 * `--to-earliest` / `--to-latest` / `--to-offset` / `--to-time` as a ResetTarget; exactly one must
 * be given. Times are ISO-8601 or a duration back from now ("15m", "2h", "7d").
 */
export function parseResetTarget(
  options: { toEarliest?: boolean; toLatest?: boolean; toOffset?: string; toTime?: string },
  now: number = Date.now(),
): ResetTarget {
  const given = [options.toEarliest, options.toLatest, options.toOffset, options.toTime].filter(
    (v) => v !== undefined,
  );
  if (given.length !== 1)
    throw new CliError('give exactly one of --to-earliest, --to-latest, --to-offset and --to-time');
  if (options.toEarliest) return { kind: 'earliest' };
  if (options.toLatest) return { kind: 'latest' };
  if (options.toOffset !== undefined) {
    if (!/^\d+$/.test(options.toOffset)) throw new CliError('--to-offset must be a whole number');
    return { kind: 'offset', offset: BigInt(options.toOffset) };
  }
  return { kind: 'time', timestamp: parseTime(String(options.toTime), now) };
}
