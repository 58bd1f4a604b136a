import type { Pool } from 'pg';
import type { LatencyKind } from './analytics-projection';
import { summarize, type LatencySummary } from './latency-buckets';

/** A half-open time range [from, to), whole minutes. */
export interface MinuteRange {
  readonly from: Date;
  readonly to: Date;
}

/** Messages sent in each minute of the range, minutes without any included (as 0). */
export async function messagesPerMinute(
  pool: Pool,
  range: MinuteRange,
): Promise<{ minute: string; messages: number }[]> {
  const { rows } = await pool.query<{ minute: Date; messages: string }>(
    `SELECT m AS minute, coalesce(a.messages_sent, 0) AS messages
       FROM generate_series(date_trunc('minute', $1::timestamptz), $2::timestamptz - interval '1 minute', interval '1 minute') AS m
       LEFT JOIN analytics_minutes a ON a.minute = m
      ORDER BY m`,
    [range.from, range.to],
  );
  return rows.map((r) => ({ minute: r.minute.toISOString(), messages: Number(r.messages) }));
}

/** Percentiles of one latency over the range (minutes of the delivery, or of the read). */
export async function latencySummary(
  pool: Pool,
  kind: LatencyKind,
  range: MinuteRange,
): Promise<LatencySummary> {
  const { rows } = await pool.query<{ bucket: number; samples: string }>(
    `SELECT bucket, sum(samples) AS samples FROM analytics_latency
      WHERE kind = $1 AND minute >= date_trunc('minute', $2::timestamptz) AND minute < $3
      GROUP BY bucket`,
    [kind, range.from, range.to],
  );
  return summarize(rows.map((r) => ({ bucket: r.bucket, count: Number(r.samples) })));
}

/** Distinct users who sent, read or came online in the range. */
export async function activeUsers(pool: Pool, range: MinuteRange): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(DISTINCT user_id) AS n FROM analytics_active_users
      WHERE minute >= date_trunc('minute', $1::timestamptz) AND minute < $2`,
    [range.from, range.to],
  );
  return Number(rows[0]?.n ?? 0);
}
