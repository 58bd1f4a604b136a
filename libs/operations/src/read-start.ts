import type { ReadStart } from '@parley/kafka';
import { CliError } from './cli-error';

/**
 * `--from-offset` / `--from-time` / `--from-beginning` as a ReadStart; at most one may be given.
 * Times are ISO-8601 or a duration back from now ("15m", "2h", "1d").
 */
export function parseReadStart(
  options: { fromOffset?: string; fromTime?: string; fromBeginning?: boolean },
  otherwise: ReadStart,
  now: number = Date.now(),
): ReadStart {
  const given = [options.fromOffset, options.fromTime, options.fromBeginning || undefined].filter(
    (v) => v !== undefined,
  );
  if (given.length > 1) throw new CliError('give one of --from-offset, --from-time and --from-beginning');
  if (options.fromBeginning) return { kind: 'beginning' };
  if (options.fromOffset !== undefined) {
    if (!/^\d+$/.test(options.fromOffset))
      throw new CliError(`--from-offset must be a whole number (got "${options.fromOffset}")`);
    return { kind: 'offset', offset: BigInt(options.fromOffset) };
  }
  if (options.fromTime !== undefined) return { kind: 'time', timestamp: parseTime(options.fromTime, now) };
  return otherwise;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO-8601 time or a duration back from now ("90s", "15m", "2h", "7d"), as epoch milliseconds. */
export function parseTime(value: string, now: number = Date.now()): number {
  const ago = /^(\d+)([smhd])$/.exec(value);
  if (ago) return now - Number(ago[1]) * (UNITS[ago[2] as string] as number);
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw new CliError(
      `"${value}" is not a time: use ISO-8601 (2026-11-26T10:00:00Z) or a duration like 15m, 2h, 7d`,
    );
  if (at > now) throw new CliError(`${value} is in the future`);
  return at;
}
