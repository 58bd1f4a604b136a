import type { ParleyEvent } from '@parley/events';
import { sql, type EventPosition, type SqlStatement } from '@parley/projections';
import { eraseEditsOfDeleted, editStatements } from './message-edits';
import { STATUS_RANK, type RecipientStatus } from './recipient-status';

type Entry = { readonly event: ParleyEvent; readonly position: EventPosition };
type Of<T extends ParleyEvent['type']> = Extract<ParleyEvent, { type: T }>;

const STATUS_OF = {
  DeliveryPending: 'pending',
  MessageFailed: 'failed',
  MessageDelivered: 'delivered',
} as const satisfies Record<string, RecipientStatus>;

/** First entry per key, in log order. */
function firstBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    if (!seen.has(k)) seen.set(k, item);
  }
  return [...seen.values()];
}

/**
 * The messages projection over a whole chunk of one partition, as one set-based statement per table
 * instead of one or two per event. It must end where applying each event in turn ends (the
 * integration spec replays random logs both ways), which holds because every table here moves one
 * way only and the first event wins ties:
 * - messages and claims: insert-if-absent, so the first MessageSent of an id wins;
 * - edits apply to messages sent before them, the first record of an editId counting and the latest
 *   edit giving the text (see editStatements); they run after the chunk's inserts, and before its
 *   deletions, which erase what an edit of a deleted message wrote, whichever came first;
 * - a deletion for everybody applies to a message sent before it (a smaller offset = seq in this
 *   partition), so running the deletions after all of the chunk's inserts changes nothing;
 * - read positions and recipient statuses only rise: the highest value wins, the first event with
 *   it sets the time. A read covers messages with seq at most its own offset, all inserted already.
 */
export function messagesChunk(entries: readonly Entry[]): SqlStatement[] {
  const of = <T extends ParleyEvent['type']>(type: T) =>
    entries.filter((e): e is { event: Of<T>; position: EventPosition } => e.event.type === type);
  const statements: SqlStatement[] = [];

  const sent = firstBy(of('MessageSent'), (e) => e.event.messageId);
  if (sent.length > 0) {
    const column = <V>(pick: (e: (typeof sent)[number]) => V) => sent.map(pick);
    statements.push(
      sql(
        `INSERT INTO messages (message_id, conversation_id, seq, sender_id, recipient_id, text, sent_at)
         SELECT id, conv, seq, sender, recipient, body, to_timestamp(at / 1000)
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::float8[])
                AS s(id, conv, seq, sender, recipient, body, at)
         ON CONFLICT (message_id) DO NOTHING`,
        column((e) => e.event.messageId),
        column((e) => e.event.conversationId),
        column((e) => e.position.offset),
        column((e) => e.event.senderId),
        column((e) => e.event.recipientId),
        column((e) => e.event.text),
        column((e) => e.event.occurredAt),
      ),
      // Claims are locked in id order, as the gateway's acked mark locks them (MessageClaims): in
      // log order, a chunk and a mark that share two claims could each hold one and wait for the
      // other until PostgreSQL breaks the deadlock a second later. Ids are unique here (firstBy).
      sql(
        `INSERT INTO message_claims (message_id, sender_id, conversation_id, sent_at, acked)
         SELECT id, sender, conv, to_timestamp(at / 1000), true
           FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[]) AS s(id, sender, conv, at)
          ORDER BY id
         ON CONFLICT (message_id) DO UPDATE SET acked = true WHERE NOT message_claims.acked`,
        column((e) => e.event.messageId),
        column((e) => e.event.senderId),
        column((e) => e.event.conversationId),
        column((e) => e.event.occurredAt),
      ),
    );
  }

  statements.push(...editStatements(of('MessageEdited')));

  const deletions = of('MessageDeleted');
  // Of the deletions for everybody, the first that matches (by the sender, after the send) counts.
  const forEverybody = deletions.filter((e) => e.event.scope === 'EVERYONE');
  if (forEverybody.length > 0) {
    statements.push(
      sql(
        `UPDATE messages m SET deleted_for_everybody = true, text = '', edited_at = NULL, deleted_at = to_timestamp(d.at / 1000)
           FROM (SELECT DISTINCT ON (d.id) d.id, d.at
                   FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bigint[]) AS d(id, by, conv, at, pos)
                   JOIN messages x ON x.message_id = d.id AND x.sender_id = d.by AND x.conversation_id = d.conv
                                  AND x.seq < d.pos
                  ORDER BY d.id, d.pos) d
          WHERE m.message_id = d.id AND NOT m.deleted_for_everybody`,
        forEverybody.map((e) => e.event.messageId),
        forEverybody.map((e) => e.event.deletedBy),
        forEverybody.map((e) => e.event.conversationId),
        forEverybody.map((e) => e.event.occurredAt),
        forEverybody.map((e) => e.position.offset),
      ),
      eraseEditsOfDeleted(forEverybody.map((e) => e.event.messageId)),
    );
  }
  const forMe = deletions.filter((e) => e.event.scope !== 'EVERYONE');
  if (forMe.length > 0) {
    statements.push(
      sql(
        `INSERT INTO message_hidden (message_id, user_id, hidden_at)
         SELECT id, by, to_timestamp(at / 1000) FROM unnest($1::text[], $2::text[], $3::float8[]) AS h(id, by, at)
         ON CONFLICT DO NOTHING`,
        forMe.map((e) => e.event.messageId),
        forMe.map((e) => e.event.deletedBy),
        forMe.map((e) => e.event.occurredAt),
      ),
    );
  }

  // Reads: per conversation and reader only the reads that go further than the chunk's earlier ones
  // matter; each covers the messages between the previous one and itself.
  const furthest = new Map<string, number>();
  const reads: { conv: string; reader: string; from: number; upTo: number; at: number }[] = [];
  for (const { event, position } of of('MessageRead')) {
    const upTo = Math.min(event.upToSeq, Number(position.offset));
    const key = `${event.conversationId}\u0000${event.readerId}`;
    const before = furthest.get(key);
    if (before !== undefined && before >= upTo) continue;
    furthest.set(key, upTo);
    reads.push({
      conv: event.conversationId,
      reader: event.readerId,
      from: before ?? -1,
      upTo,
      at: event.occurredAt,
    });
  }
  if (reads.length > 0) {
    const column = <V>(pick: (r: (typeof reads)[number]) => V) => reads.map(pick);
    const lastPerKey = firstBy([...reads].reverse(), (r) => `${r.conv}\u0000${r.reader}`);
    statements.push(
      // Before the read positions move: a reader's stored position bounds the scan from below, as
      // every message up to it was marked read by the read that set it. Each read probes its range
      // of the conversation (LATERAL ... OFFSET 0) and its reader's position by key: as joins, a
      // plan made while the tables were small (a new installation's first minute; plans stay until
      // the first ANALYZE) hash-joined the whole of messages for every chunk with a read (100,000
      // messages: 35.7 ms, against 0.4 ms probed).
      sql(
        `INSERT INTO message_recipients (message_id, recipient_id, status, status_rank, updated_at)
         SELECT m.message_id, r.reader, 'read', ${STATUS_RANK.read}, to_timestamp(r.at / 1000)
           FROM (SELECT r.*, GREATEST(r.after, coalesce((SELECT cr.read_up_to_seq FROM conversation_reads cr
                                                         WHERE cr.conversation_id = r.conv AND cr.user_id = r.reader), -1)) AS above
                   FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::float8[]) AS r(conv, reader, after, up_to, at)
                 OFFSET 0) r
          CROSS JOIN LATERAL (
                 SELECT m.message_id FROM messages m
                  WHERE m.conversation_id = r.conv AND m.seq > r.above AND m.seq <= r.up_to AND m.sender_id <> r.reader
                 OFFSET 0) m
         ON CONFLICT (message_id, recipient_id) DO UPDATE
           SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank, updated_at = EXCLUDED.updated_at
           WHERE message_recipients.status_rank < EXCLUDED.status_rank`,
        column((r) => r.conv),
        column((r) => r.reader),
        column((r) => r.from),
        column((r) => r.upTo),
        column((r) => r.at),
      ),
      sql(
        `INSERT INTO conversation_reads (conversation_id, user_id, read_up_to_seq, read_at)
         SELECT conv, reader, up_to, to_timestamp(at / 1000)
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[]) AS r(conv, reader, up_to, at)
         ON CONFLICT (conversation_id, user_id) DO UPDATE
           SET read_up_to_seq = EXCLUDED.read_up_to_seq, read_at = EXCLUDED.read_at
           WHERE conversation_reads.read_up_to_seq < EXCLUDED.read_up_to_seq`,
        lastPerKey.map((r) => r.conv),
        lastPerKey.map((r) => r.reader),
        lastPerKey.map((r) => r.upTo),
        lastPerKey.map((r) => r.at),
      ),
    );
  }

  // Statuses below `read`: per recipient the highest, set by its first event.
  const best = new Map<string, { id: string; to: string; status: RecipientStatus; at: number }>();
  for (const { event } of entries) {
    if (
      event.type !== 'DeliveryPending' &&
      event.type !== 'MessageFailed' &&
      event.type !== 'MessageDelivered'
    )
      continue;
    const status = STATUS_OF[event.type];
    const key = `${event.messageId}\u0000${event.recipientId}`;
    const held = best.get(key);
    if (held && STATUS_RANK[held.status] >= STATUS_RANK[status]) continue;
    best.set(key, { id: event.messageId, to: event.recipientId, status, at: event.occurredAt });
  }
  if (best.size > 0) {
    const rows = [...best.values()];
    statements.push(
      sql(
        `INSERT INTO message_recipients (message_id, recipient_id, status, status_rank, updated_at)
         SELECT id, recipient, status, rank, to_timestamp(at / 1000)
           FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::float8[]) AS s(id, recipient, status, rank, at)
         ON CONFLICT (message_id, recipient_id) DO UPDATE
           SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank, updated_at = EXCLUDED.updated_at
           WHERE message_recipients.status_rank < EXCLUDED.status_rank`,
        rows.map((r) => r.id),
        rows.map((r) => r.to),
        rows.map((r) => r.status),
        rows.map((r) => STATUS_RANK[r.status]),
        rows.map((r) => r.at),
      ),
    );
  }
  return statements;
}
