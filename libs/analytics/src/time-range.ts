import { DomainError } from '@parley/domain';
import type { MinuteRange } from './analytics-queries';

const MINUTE = 60_000;
/** Per-minute series are at most a week long (10,080 points); pick a shorter range for more detail. */
export const MAX_RANGE_MS = 7 * 24 * 60 * MINUTE;

const bad = (message: string) => new DomainError('invalid', 'INVALID_RANGE', message);

function parseInstant(name: string, value: unknown): Date | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value)))
    throw bad(`${name} must be an ISO-8601 time such as 2026-11-26T09:00:00Z`);
  return new Date(value);
}

/**
 * `from` and `to` of a query string as whole minutes: `to` defaults to the end of the current
 * minute, `from` to an hour before `to`. Refuses reversed, empty or too long ranges.
 */
export function parseRange(query: Readonly<Record<string, unknown>>, now: Date = new Date()): MinuteRange {
  const ceilMinute = (d: Date) => new Date(Math.ceil(d.getTime() / MINUTE) * MINUTE);
  const floorMinute = (d: Date) => new Date(Math.floor(d.getTime() / MINUTE) * MINUTE);
  const to = ceilMinute(parseInstant('to', query.to) ?? new Date(now.getTime() + 1));
  const from = floorMinute(parseInstant('from', query.from) ?? new Date(to.getTime() - 60 * MINUTE));
  if (from >= to) throw bad('from must be before to');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw bad('the range may be at most 7 days');
  return { from, to };
}
