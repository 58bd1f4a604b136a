import { sql, ts, type Projection, type SqlStatement } from '@parley/projections';
import { eraseEditsOfDeleted, editStatements } from './message-edits';
import { messagesChunk } from './messages-chunk';
import { STATUS_RANK, type RecipientStatus } from './recipient-status';

function recipientStatus(
  messageId: string,
  recipientId: string,
  status: RecipientStatus,
  at: number,
): SqlStatement {
  return sql(
    `INSERT INTO message_recipients (message_id, recipient_id, status, status_rank, updated_at)
     VALUES ($1, $2, $3, $4, ${ts(5)})
     ON CONFLICT (message_id, recipient_id) DO UPDATE
       SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank, updated_at = EXCLUDED.updated_at
       WHERE message_recipients.status_rank < EXCLUDED.status_rank`,
    messageId,
    recipientId,
    status,
    STATUS_RANK[status],
    at,
  );
}

/**
 * Messages, edits, deletions, read positions and per-recipient statuses: chat.messages → messages,
 * message_edits, message_claims, message_hidden, conversation_reads, message_recipients. Every event
 * of a conversation shares its partition, so a MessageRead or MessageEdited always comes after the
 * messages it covers.
 */
export const messagesProjection: Projection = {
  name: 'messages',
  topics: ['chat.messages'],
  tables: ['messages', 'message_edits', 'message_hidden', 'message_recipients', 'conversation_reads'],
  sideTables: ['message_claims'],
  // The one-event rules; the runners apply whole chunks with messagesChunk, which must agree.
  apply(event, position) {
    switch (event.type) {
      case 'MessageSent':
        // A messageId sent twice keeps its first record (and so its first seq).
        return [
          sql(
            `INSERT INTO messages (message_id, conversation_id, seq, sender_id, recipient_id, text, sent_at)
             VALUES ($1, $2, $3, $4, $5, $6, ${ts(7)}) ON CONFLICT (message_id) DO NOTHING`,
            event.messageId,
            event.conversationId,
            position.offset,
            event.senderId,
            event.recipientId,
            event.text,
            event.occurredAt,
          ),
          // The claim the gateway made before producing, so a rebuilt database still refuses a reuse.
          sql(
            `INSERT INTO message_claims (message_id, sender_id, conversation_id, sent_at, acked)
             VALUES ($1, $2, $3, ${ts(4)}, true)
             ON CONFLICT (message_id) DO UPDATE SET acked = true WHERE NOT message_claims.acked`,
            event.messageId,
            event.senderId,
            event.conversationId,
            event.occurredAt,
          ),
        ];
      case 'MessageDeleted':
        if (event.scope === 'EVERYONE') {
          // Only the sender may delete for everybody; the text is erased, not just hidden, and so
          // are its edits (their time, their ids).
          return [
            sql(
              `UPDATE messages SET deleted_for_everybody = true, text = '', edited_at = NULL, deleted_at = ${ts(3)}
                WHERE message_id = $1 AND sender_id = $2 AND conversation_id = $4 AND NOT deleted_for_everybody`,
              event.messageId,
              event.deletedBy,
              event.occurredAt,
              event.conversationId,
            ),
            eraseEditsOfDeleted([event.messageId]),
          ];
        }
        return [
          sql(
            `INSERT INTO message_hidden (message_id, user_id, hidden_at) VALUES ($1, $2, ${ts(3)})
             ON CONFLICT DO NOTHING`,
            event.messageId,
            event.deletedBy,
            event.occurredAt,
          ),
        ];
      case 'MessageEdited':
        return editStatements([{ event, position }]);
      case 'MessageRead': {
        // A conversation's events share a partition, so a message with a seq above this event's own
        // offset was sent after the read: a client's too-large seq cannot mark future messages read.
        const upToSeq = Math.min(event.upToSeq, Number(position.offset));
        return [
          sql(
            `INSERT INTO conversation_reads (conversation_id, user_id, read_up_to_seq, read_at) VALUES ($1, $2, $3, ${ts(4)})
             ON CONFLICT (conversation_id, user_id) DO UPDATE
               SET read_up_to_seq = EXCLUDED.read_up_to_seq, read_at = EXCLUDED.read_at
               WHERE conversation_reads.read_up_to_seq < EXCLUDED.read_up_to_seq`,
            event.conversationId,
            event.readerId,
            upToSeq,
            event.occurredAt,
          ),
          sql(
            `INSERT INTO message_recipients (message_id, recipient_id, status, status_rank, updated_at)
             SELECT message_id, $2, 'read', ${STATUS_RANK.read}, ${ts(4)} FROM messages
              WHERE conversation_id = $1 AND seq <= $3 AND sender_id <> $2
             ON CONFLICT (message_id, recipient_id) DO UPDATE
               SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank, updated_at = EXCLUDED.updated_at
               WHERE message_recipients.status_rank < EXCLUDED.status_rank`,
            event.conversationId,
            event.readerId,
            upToSeq,
            event.occurredAt,
          ),
        ];
      }
      case 'DeliveryPending':
        return [recipientStatus(event.messageId, event.recipientId, 'pending', event.occurredAt)];
      case 'MessageDelivered':
        return [recipientStatus(event.messageId, event.recipientId, 'delivered', event.occurredAt)];
      case 'MessageFailed':
        return [recipientStatus(event.messageId, event.recipientId, 'failed', event.occurredAt)];
      default:
        return [];
    }
  },
  applyChunk: messagesChunk,
  // A conversation's events share a partition, and the claims (which the gateway's acked mark locks
  // too) are locked in id order within the chunk's one statement: a fetch's partitions may go together.
  chunksSpanPartitions: true,
};
