import type { ParleyEvent } from '@parley/events';
import { sql, type EventPosition, type SqlStatement } from '@parley/projections';

type Edited = Extract<ParleyEvent, { type: 'MessageEdited' }>;
type Entry = { readonly event: Edited; readonly position: EventPosition };

/**
 * The edits of a chunk of one partition (in log order), or of one event, as one statement; the
 * one-event rule and the chunk rule are this same statement, so they cannot disagree.
 *
 * An edit counts when its message is known and not deleted for everybody, it comes after the message
 * in the log, it is by the message's sender, and its editId is new for the message (a retried edit
 * is recorded once: the first record of an editId counts, later ones change nothing). Of the edits
 * that count, the latest by log order gives the text and `edited_at`. An edit of a message the read
 * model does not hold (a rebuild from a truncated topic, a forged record) changes nothing.
 *
 * Against deletions for everybody the order within a chunk does not matter: a deletion erases the
 * text, `edited_at` and the message's edits, so an edit applied before it in the chunk leaves no trace,
 * exactly as an edit that came after it (and was ignored) leaves none one event at a time.
 */
export function editStatements(entries: readonly Entry[]): SqlStatement[] {
  if (entries.length === 0) return [];
  const column = <V>(pick: (e: Entry) => V) => entries.map(pick);
  return [
    sql(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::bigint[])
           AS e(id, edit, by, conv, body, at, pos)
       ), counted AS (
         SELECT DISTINCT ON (e.id, e.edit) e.*
           FROM input e
           JOIN messages m ON m.message_id = e.id AND m.sender_id = e.by AND m.conversation_id = e.conv
                          AND m.seq < e.pos AND NOT m.deleted_for_everybody
          WHERE NOT EXISTS (SELECT 1 FROM message_edits x WHERE x.message_id = e.id AND x.edit_id = e.edit)
          ORDER BY e.id, e.edit, e.pos
       ), recorded AS (
         INSERT INTO message_edits (message_id, edit_id, position, edited_at)
         SELECT id, edit, pos, to_timestamp(at / 1000) FROM counted
       ), latest AS (
         SELECT DISTINCT ON (id) id, body, at FROM counted ORDER BY id, pos DESC
       )
       UPDATE messages m SET text = l.body, edited_at = to_timestamp(l.at / 1000)
         FROM latest l WHERE m.message_id = l.id`,
      column((e) => e.event.messageId),
      column((e) => e.event.editId),
      column((e) => e.event.editedBy),
      column((e) => e.event.conversationId),
      column((e) => e.event.text),
      column((e) => e.event.occurredAt),
      column((e) => e.position.offset),
    ),
  ];
}

/** After deletions for everybody: the edits of the deleted messages go with their text. */
export function eraseEditsOfDeleted(messageIds: readonly string[]): SqlStatement {
  return sql(
    `DELETE FROM message_edits e USING messages m
      WHERE e.message_id = ANY($1::text[]) AND m.message_id = e.message_id AND m.deleted_for_everybody`,
    [...new Set(messageIds)],
  );
}
