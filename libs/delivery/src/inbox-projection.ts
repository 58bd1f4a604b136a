import { sql, type Projection, type SqlStatement } from '@parley/projections';

/** PROTOCOL §3: the bodies of `/user/queue/messages` frames. */
export type InboxBody =
  | {
      readonly kind: 'message';
      readonly messageId: string;
      readonly conversationId: string;
      readonly seq: number;
      readonly senderId: string;
      readonly text: string;
      readonly sentAt: string;
    }
  | { readonly kind: 'deleted'; readonly messageId: string; readonly conversationId: string };

/** What each appended item reports after its transaction committed (see InboxNotifier). */
export interface AppendedItem {
  readonly user_id: string;
  readonly position: string;
  readonly kind: InboxBody['kind'];
  readonly message_id: string;
  readonly conversation_id: string;
  /** The message's sender (message items only). */
  readonly sender_id: string | null;
}

const ts = (n: number) => `to_timestamp($${n}::double precision / 1000)`;

/**
 * Appends one item to the inbox of each recipient who does not have it yet. Recipients are the
 * conversation's other members at the event's time (a direct conversation's two members always).
 * Each recipient's position comes from their inbox_heads row, locked by the upsert until commit, so
 * positions are dense per user and commit in order. Users are taken in id order, so two workers
 * lock shared rows in the same order.
 */
function appendToInboxes(
  kind: InboxBody['kind'],
  messageId: string,
  conversationId: string,
  excludedUserId: string,
  atMs: number,
  body: InboxBody,
): SqlStatement {
  return sql(
    `WITH recipients AS (
       SELECT m.user_id FROM conversation_members m
         JOIN conversations c ON c.conversation_id = m.conversation_id
        WHERE m.conversation_id = $3 AND m.user_id <> $4
          AND (c.kind = 'DIRECT' OR m.joined_at <= ${ts(5)})
          AND (m.left_at IS NULL OR m.left_at > ${ts(5)})
     ), fresh AS (
       SELECT r.user_id FROM recipients r
        WHERE NOT EXISTS (SELECT 1 FROM inbox_items i
                           WHERE i.user_id = r.user_id AND i.kind = $1 AND i.message_id = $2)
        ORDER BY r.user_id
     ), heads AS (
       INSERT INTO inbox_heads (user_id, last_position) SELECT user_id, 1 FROM fresh
       ON CONFLICT (user_id) DO UPDATE SET last_position = inbox_heads.last_position + 1
       RETURNING user_id, last_position
     )
     INSERT INTO inbox_items (user_id, position, kind, message_id, conversation_id, body, created_at)
     SELECT user_id, last_position, $1, $2, $3, $6::jsonb, ${ts(5)} FROM heads
     RETURNING user_id, position, kind, message_id, conversation_id, body->>'senderId' AS sender_id`,
    kind,
    messageId,
    conversationId,
    excludedUserId,
    atMs,
    JSON.stringify(body),
  );
}

/**
 * The delivery worker's projection: chat.messages → inbox_items. A message goes to every other
 * member; a deletion for everybody reaches every other member too (a deletion for oneself concerns
 * nobody else). Statements return the appended items, which the worker announces after commit.
 */
export const inboxProjection: Projection = {
  name: 'inboxes',
  topics: ['chat.messages'],
  apply(event, position) {
    switch (event.type) {
      case 'MessageSent':
        return [
          appendToInboxes(
            'message',
            event.messageId,
            event.conversationId,
            event.senderId,
            event.occurredAt,
            {
              kind: 'message',
              messageId: event.messageId,
              conversationId: event.conversationId,
              seq: Number(position.offset),
              senderId: event.senderId,
              text: event.text,
              sentAt: new Date(event.occurredAt).toISOString(),
            },
          ),
        ];
      case 'MessageDeleted':
        if (event.scope !== 'EVERYONE') return [];
        return [
          appendToInboxes(
            'deleted',
            event.messageId,
            event.conversationId,
            event.deletedBy,
            event.occurredAt,
            {
              kind: 'deleted',
              messageId: event.messageId,
              conversationId: event.conversationId,
            },
          ),
        ];
      default:
        return [];
    }
  },
};
