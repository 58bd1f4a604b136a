import { sql, type Projection } from '@parley/projections';
import { analyticsChunk } from './analytics-chunk';
import { fromEpochMs, minuteOf, msBetween } from './analytics-sql';
import { bucketSql } from './latency-buckets';

export const LATENCY_KINDS = ['send_to_deliver', 'deliver_to_read'] as const;
export type LatencyKind = (typeof LATENCY_KINDS)[number];

/** Epoch milliseconds parameter $n as a timestamptz. */
const ts = (n: number) => fromEpochMs(`$${n}::double precision`);

const active = (userIdParam: number, atParam: number) =>
  `INSERT INTO analytics_active_users (minute, user_id) VALUES (${minuteOf(ts(atParam))}, $${userIdParam})
   ON CONFLICT DO NOTHING`;

/**
 * Analytics from chat.messages and chat.presence: messages per minute, send→deliver and
 * deliver→read latencies, active users. Run by apps/analytics under its own consumer group; each
 * count is written with the position in one transaction, and a message, delivery or read counts once
 * even if its event is read twice (the row that measures it is inserted once).
 */
export const analyticsProjection: Projection = {
  name: 'analytics',
  topics: ['chat.messages', 'chat.presence'],
  tables: [
    'analytics_sent',
    'analytics_deliveries',
    'analytics_minutes',
    'analytics_latency',
    'analytics_active_users',
  ],
  // The one-event rules; the runner applies whole chunks with analyticsChunk, which must agree.
  apply(event, position) {
    switch (event.type) {
      case 'MessageSent':
        return [
          sql(
            `WITH fresh AS (
               INSERT INTO analytics_sent (message_id, conversation_id, seq, sent_at)
               VALUES ($1, $2, $3, ${ts(4)}) ON CONFLICT DO NOTHING RETURNING sent_at)
             INSERT INTO analytics_minutes (minute, messages_sent)
             SELECT ${minuteOf('sent_at')}, 1 FROM fresh
             ON CONFLICT (minute) DO UPDATE SET messages_sent = analytics_minutes.messages_sent + 1`,
            event.messageId,
            event.conversationId,
            position.offset,
            event.occurredAt,
          ),
          sql(active(1, 2), event.senderId, event.occurredAt),
        ];
      case 'MessageDelivered':
        return [
          sql(
            `WITH fresh AS (
               INSERT INTO analytics_deliveries (message_id, recipient_id, conversation_id, seq, delivered_at, delivered_pos)
               SELECT message_id, $2, conversation_id, seq, ${ts(3)}, $4 FROM analytics_sent
                WHERE message_id = $1 AND seq < $4
               ON CONFLICT DO NOTHING RETURNING delivered_at)
             INSERT INTO analytics_latency (minute, kind, bucket, samples)
             SELECT ${minuteOf('f.delivered_at')}, 'send_to_deliver', ${bucketSql(msBetween('f.delivered_at', 's.sent_at'))}, 1
               FROM fresh f, analytics_sent s WHERE s.message_id = $1
             ON CONFLICT (minute, kind, bucket) DO UPDATE SET samples = analytics_latency.samples + 1`,
            event.messageId,
            event.recipientId,
            event.occurredAt,
            position.offset,
          ),
        ];
      case 'MessageRead': {
        // As in the messages read model: a read covers nothing sent after it.
        const upToSeq = Math.min(event.upToSeq, Number(position.offset));
        return [
          sql(
            `WITH newly AS (
               UPDATE analytics_deliveries SET read_counted = true
                WHERE conversation_id = $1 AND recipient_id = $2 AND seq <= $3 AND delivered_pos < $5
                  AND NOT read_counted
               RETURNING delivered_at)
             INSERT INTO analytics_latency (minute, kind, bucket, samples)
             SELECT ${minuteOf(ts(4))}, 'deliver_to_read', ${bucketSql(msBetween(ts(4), 'delivered_at'))} AS bucket, count(*)
               FROM newly GROUP BY bucket
             ON CONFLICT (minute, kind, bucket) DO UPDATE SET samples = analytics_latency.samples + EXCLUDED.samples`,
            event.conversationId,
            event.readerId,
            upToSeq,
            event.occurredAt,
            position.offset,
          ),
          sql(active(1, 2), event.readerId, event.occurredAt),
        ];
      }
      case 'PresenceChanged':
        return event.status === 'ONLINE' ? [sql(active(1, 2), event.userId, event.occurredAt)] : [];
      default:
        return [];
    }
  },
  applyChunk: analyticsChunk,
  // Its rules order only events of one conversation (one partition); its counters are upserts that
  // add: a fetch's partitions may go together.
  chunksSpanPartitions: true,
};
