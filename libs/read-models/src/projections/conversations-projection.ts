import { sql, ts, type Projection } from '@parley/projections';

/** Conversations and their members: chat.conversations → conversations, conversation_members. */
export const conversationsProjection: Projection = {
  name: 'conversations',
  topics: ['chat.conversations'],
  tables: ['conversations', 'conversation_members'],
  apply(event) {
    switch (event.type) {
      case 'ConversationCreated':
        return [
          // A direct conversation may be announced twice (both sides' first messages race): first wins.
          sql(
            `INSERT INTO conversations (conversation_id, kind, title, created_by, created_at)
             VALUES ($1, $2, $3, $4, ${ts(5)}) ON CONFLICT (conversation_id) DO NOTHING`,
            event.conversationId,
            event.kind,
            event.title,
            event.createdBy,
            event.occurredAt,
          ),
          sql(
            `INSERT INTO conversation_members (conversation_id, user_id, joined_at)
             SELECT $1, member, ${ts(3)} FROM unnest($2::text[]) AS member
             ON CONFLICT (conversation_id, user_id) DO NOTHING`,
            event.conversationId,
            event.memberIds,
            event.occurredAt,
          ),
        ];
      case 'MemberAdded':
        return [
          sql(
            `INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, ${ts(3)})
             ON CONFLICT (conversation_id, user_id)
             DO UPDATE SET joined_at = EXCLUDED.joined_at, left_at = NULL WHERE conversation_members.left_at IS NOT NULL`,
            event.conversationId,
            event.userId,
            event.occurredAt,
          ),
        ];
      case 'MemberRemoved':
        return [
          sql(
            `UPDATE conversation_members SET left_at = ${ts(3)}
              WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL`,
            event.conversationId,
            event.userId,
            event.occurredAt,
          ),
        ];
      default:
        return [];
    }
  },
};
