import type { ParleyEvent } from '@parley/events';
import { sql, type EventPosition, type SqlStatement } from '@parley/projections';
import { fromEpochMs, minuteOf, msBetween } from './analytics-sql';
import { bucketSql } from './latency-buckets';

type Entry = { readonly event: ParleyEvent; readonly position: EventPosition };
type Of<T extends ParleyEvent['type']> = Extract<ParleyEvent, { type: T }>;

/**
 * The analytics projection over a whole chunk of one partition: one statement per kind of count
 * instead of one or two per event. It ends where the one-event rules end (the integration spec
 * replays random logs both ways) because each count is made by inserting or flagging a row once, and
 * the log order the one-event rules see is kept by offsets: a delivery counts only after its send, a
 * read measures only deliveries before it, and of several, the first in the log wins.
 */
export function analyticsChunk(entries: readonly Entry[]): SqlStatement[] {
  const of = <T extends ParleyEvent['type']>(type: T) =>
    entries.filter((e): e is { event: Of<T>; position: EventPosition } => e.event.type === type);
  const statements: SqlStatement[] = [];

  const sent = of('MessageSent');
  if (sent.length > 0) {
    statements.push(
      sql(
        `WITH fresh AS (
           INSERT INTO analytics_sent (message_id, conversation_id, seq, sent_at)
           SELECT DISTINCT ON (id) id, conv, seq, ${fromEpochMs('at')}
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[]) AS s(id, conv, seq, at)
            ORDER BY id, seq
           ON CONFLICT DO NOTHING RETURNING sent_at)
         INSERT INTO analytics_minutes (minute, messages_sent)
         SELECT ${minuteOf('sent_at')}, count(*) FROM fresh GROUP BY 1
         ON CONFLICT (minute) DO UPDATE SET messages_sent = analytics_minutes.messages_sent + EXCLUDED.messages_sent`,
        sent.map((e) => e.event.messageId),
        sent.map((e) => e.event.conversationId),
        sent.map((e) => e.position.offset),
        sent.map((e) => e.event.occurredAt),
      ),
    );
  }

  const delivered = of('MessageDelivered');
  if (delivered.length > 0) {
    // Each delivery finds its send by a probe of the primary key (LATERAL ... OFFSET 0), not by a
    // join: a plan made while analytics_sent was small (a new installation's first minute, whose
    // plans stay until the first ANALYZE) hash-joined it, reading the whole table twice per chunk,
    // 40-130 ms a chunk at 2,000 msgs/s and growing with the table (auto_explain, bench:e2e).
    statements.push(
      sql(
        `WITH fresh AS (
           INSERT INTO analytics_deliveries (message_id, recipient_id, conversation_id, seq, delivered_at, delivered_pos)
           SELECT DISTINCT ON (s.message_id, d.recipient) s.message_id, d.recipient, s.conversation_id, s.seq,
                  ${fromEpochMs('d.at')}, d.pos
             FROM unnest($1::text[], $2::text[], $3::float8[], $4::bigint[]) AS d(id, recipient, at, pos)
            CROSS JOIN LATERAL (SELECT * FROM analytics_sent s WHERE s.message_id = d.id AND s.seq < d.pos OFFSET 0) s
            ORDER BY s.message_id, d.recipient, d.pos
           ON CONFLICT DO NOTHING RETURNING message_id, delivered_at)
         INSERT INTO analytics_latency (minute, kind, bucket, samples)
         SELECT ${minuteOf('f.delivered_at')}, 'send_to_deliver', ${bucketSql(msBetween('f.delivered_at', 's.sent_at'))} AS bucket, count(*)
           FROM fresh f
          CROSS JOIN LATERAL (SELECT s.sent_at FROM analytics_sent s WHERE s.message_id = f.message_id OFFSET 0) s
          GROUP BY 1, bucket
         ON CONFLICT (minute, kind, bucket) DO UPDATE SET samples = analytics_latency.samples + EXCLUDED.samples`,
        delivered.map((e) => e.event.messageId),
        delivered.map((e) => e.event.recipientId),
        delivered.map((e) => e.event.occurredAt),
        delivered.map((e) => e.position.offset),
      ),
    );
  }

  const reads = of('MessageRead');
  if (reads.length > 0) {
    // A delivery counts for the first read of its reader in its conversation (lowest offset) that
    // reaches its seq and comes after it in the log. Joining every read with every unread delivery it
    // reaches would be quadratic (read k of a reader catching up matches about k rows, since marks
    // made by earlier reads of the same statement are not yet visible). Instead each delivery is
    // matched once, linearly: by the first read whose up_to reaches its seq, found as the one read whose
    // range (highest up_to of the reader's earlier reads, own up_to] holds it. Only a delivery recorded
    // after that read (rare: it was read before its delivery was recorded) looks on for the first later
    // read, after it in the log, that reaches it.
    statements.push(
      sql(
        `WITH r AS (
           SELECT r.*, coalesce(max(r.up_to) OVER (PARTITION BY r.conv, r.reader ORDER BY r.pos
                                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), -1) AS before
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::bigint[]) AS r(conv, reader, up_to, at, pos)),
         reached AS (
           SELECT x.message_id, x.recipient_id, x.seq, x.delivered_at, x.delivered_pos, r.conv, r.at, r.pos
             FROM r CROSS JOIN LATERAL (
                    -- OFFSET 0 keeps this a range scan of the unread index per read: flattened into a
                    -- join, the planner merges on (conversation, reader) and filters every pair.
                    SELECT * FROM analytics_deliveries x
                     WHERE x.conversation_id = r.conv AND x.recipient_id = r.reader
                       AND x.seq > r.before AND x.seq <= r.up_to AND NOT x.read_counted
                    OFFSET 0) x),
         covered AS (
           SELECT message_id, recipient_id, delivered_at, at FROM reached WHERE delivered_pos < pos
           UNION ALL
           SELECT f.message_id, f.recipient_id, f.delivered_at, l.at
             FROM reached f
            CROSS JOIN LATERAL (
              SELECT r.at FROM r
               WHERE r.conv = f.conv AND r.reader = f.recipient_id AND r.pos > f.delivered_pos AND r.up_to >= f.seq
               ORDER BY r.pos LIMIT 1) l
            WHERE f.delivered_pos >= f.pos),
         newly AS (
           UPDATE analytics_deliveries d SET read_counted = true FROM covered c
            WHERE d.message_id = c.message_id AND d.recipient_id = c.recipient_id
           RETURNING c.at, c.delivered_at)
         INSERT INTO analytics_latency (minute, kind, bucket, samples)
         SELECT ${minuteOf(fromEpochMs('at'))}, 'deliver_to_read', ${bucketSql(msBetween(fromEpochMs('at'), 'delivered_at'))} AS bucket, count(*)
           FROM newly GROUP BY 1, bucket
         ON CONFLICT (minute, kind, bucket) DO UPDATE SET samples = analytics_latency.samples + EXCLUDED.samples`,
        reads.map((e) => e.event.conversationId),
        reads.map((e) => e.event.readerId),
        // As in the one-event rule: a read covers nothing sent after it.
        reads.map((e) => Math.min(e.event.upToSeq, Number(e.position.offset))),
        reads.map((e) => e.event.occurredAt),
        reads.map((e) => e.position.offset),
      ),
    );
  }

  const activity = entries.flatMap(({ event }) => {
    if (event.type === 'MessageSent') return [{ user: event.senderId, at: event.occurredAt }];
    if (event.type === 'MessageRead') return [{ user: event.readerId, at: event.occurredAt }];
    if (event.type === 'PresenceChanged' && event.status === 'ONLINE')
      return [{ user: event.userId, at: event.occurredAt }];
    return [];
  });
  if (activity.length > 0) {
    statements.push(
      sql(
        `INSERT INTO analytics_active_users (minute, user_id)
         SELECT DISTINCT ${minuteOf(fromEpochMs('at'))}, user_id FROM unnest($1::text[], $2::float8[]) AS a(user_id, at)
         ON CONFLICT DO NOTHING`,
        activity.map((a) => a.user),
        activity.map((a) => a.at),
      ),
    );
  }
  return statements;
}
