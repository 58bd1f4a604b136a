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
    statements.push(
      sql(
        `WITH fresh AS (
           INSERT INTO analytics_deliveries (message_id, recipient_id, conversation_id, seq, delivered_at, delivered_pos)
           SELECT DISTINCT ON (s.message_id, d.recipient) s.message_id, d.recipient, s.conversation_id, s.seq,
                  ${fromEpochMs('d.at')}, d.pos
             FROM unnest($1::text[], $2::text[], $3::float8[], $4::bigint[]) AS d(id, recipient, at, pos)
             JOIN analytics_sent s ON s.message_id = d.id AND s.seq < d.pos
            ORDER BY s.message_id, d.recipient, d.pos
           ON CONFLICT DO NOTHING RETURNING message_id, delivered_at)
         INSERT INTO analytics_latency (minute, kind, bucket, samples)
         SELECT ${minuteOf('f.delivered_at')}, 'send_to_deliver', ${bucketSql(msBetween('f.delivered_at', 's.sent_at'))} AS bucket, count(*)
           FROM fresh f JOIN analytics_sent s USING (message_id) GROUP BY 1, bucket
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
    statements.push(
      sql(
        `WITH covered AS (
           SELECT DISTINCT ON (x.message_id, x.recipient_id) x.message_id, x.recipient_id, x.delivered_at, r.at
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::bigint[]) AS r(conv, reader, up_to, at, pos)
             JOIN analytics_deliveries x ON x.conversation_id = r.conv AND x.recipient_id = r.reader
                                        AND x.seq <= r.up_to AND x.delivered_pos < r.pos AND NOT x.read_counted
            ORDER BY x.message_id, x.recipient_id, r.pos),
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
