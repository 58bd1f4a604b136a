import type { Pool } from 'pg';
import type { ChannelPublisher } from './live-channels';

/**
 * "U is typing in C": to the conversation's live feed and to the other members' `/user/queue/typing`.
 * Ephemeral: never stored, lost if nobody listens.
 */
export class TypingNotices {
  constructor(
    private readonly pool: Pool,
    private readonly publisher: ChannelPublisher,
  ) {}

  async typing(conversationId: string, userId: string): Promise<void> {
    const body = { conversationId, userId };
    this.publisher.toConversation(conversationId, { kind: 'typing', ...body });
    const { rows } = await this.pool.query<{ user_id: string }>({
      name: 'typing_members',
      text: 'SELECT user_id FROM conversation_members WHERE conversation_id = $1 AND left_at IS NULL AND user_id <> $2',
      values: [conversationId, userId],
    });
    for (const row of rows) this.publisher.toUser(row.user_id, { queue: 'typing', body });
  }
}
