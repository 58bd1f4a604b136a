import type { Pool } from 'pg';
import { MicroBatcher } from '@parley/runtime';

export type AccountStatus = 'ACTIVE' | 'BLOCKED' | 'DELETED';

/**
 * The read-model lookups that every send makes (membership, the recipient's account, whether a
 * direct conversation exists), batched: concurrent sends share one query per kind.
 */
export class Directory {
  private readonly members: MicroBatcher<readonly [string, string], boolean>;
  private readonly accounts: MicroBatcher<string, AccountStatus | undefined>;

  constructor(private readonly pool: Pool) {
    this.members = new MicroBatcher(async (pairs) => {
      const { rows } = await this.pool.query<{ conversation_id: string; user_id: string }>(
        `SELECT m.conversation_id, m.user_id FROM conversation_members m
           JOIN unnest($1::text[], $2::text[]) AS q(conversation_id, user_id)
             ON m.conversation_id = q.conversation_id AND m.user_id = q.user_id
          WHERE m.left_at IS NULL`,
        [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
      );
      const found = new Set(rows.map((row) => `${row.conversation_id}\u0000${row.user_id}`));
      return pairs.map(([conversationId, userId]) => found.has(`${conversationId}\u0000${userId}`));
    });
    this.accounts = new MicroBatcher(async (userIds) => {
      // A user registered a moment ago is claimed but may not be projected yet: active.
      const { rows } = await this.pool.query<{ user_id: string; status: AccountStatus }>(
        `SELECT c.user_id, COALESCE(u.status, 'ACTIVE') AS status
           FROM username_claims c LEFT JOIN users u ON u.user_id = c.user_id
          WHERE c.user_id = ANY($1::text[])`,
        [userIds],
      );
      const status = new Map(rows.map((row) => [row.user_id, row.status]));
      return userIds.map((id) => status.get(id));
    });
  }

  isMember(conversationId: string, userId: string): Promise<boolean> {
    return this.members.submit([conversationId, userId]);
  }

  /** The account's status, or undefined for a user that does not exist. */
  accountStatus(userId: string): Promise<AccountStatus | undefined> {
    return this.accounts.submit(userId);
  }

  async conversationKind(conversationId: string): Promise<'DIRECT' | 'GROUP' | undefined> {
    const { rows } = await this.pool.query<{ kind: 'DIRECT' | 'GROUP' }>(
      'SELECT kind FROM conversations WHERE conversation_id = $1',
      [conversationId],
    );
    return rows[0]?.kind;
  }
}
