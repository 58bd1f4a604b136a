import type { Pool } from 'pg';

/** Whether the user is a current member of the conversation (never content for non-members). */
export async function isActiveMember(pool: Pool, conversationId: string, userId: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    'SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL',
    [conversationId, userId],
  );
  return (rowCount ?? 0) > 0;
}
