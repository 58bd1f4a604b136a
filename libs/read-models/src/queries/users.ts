import type { Pool } from 'pg';

/** A user as another user may look them up (PROTOCOL §1): no status, no dates. */
export interface UserView {
  readonly userId: string;
  readonly username: string;
  readonly displayName?: string;
}

/**
 * The account holding exactly this username, unless it is deleted (a deleted user cannot be looked
 * up; a blocked one can, as it can be messaged). Usernames are lower case by rule (`a-z 0-9 _ . -`),
 * so the exact match is the only match: no prefix or pattern search, nothing to enumerate users by.
 */
export async function findUserByUsername(pool: Pool, username: string): Promise<UserView | undefined> {
  const { rows } = await pool.query<{ user_id: string; username: string; display_name: string | null }>(
    `SELECT user_id, username, display_name FROM users WHERE username = $1 AND status <> 'DELETED'`,
    [username],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    userId: row.user_id,
    username: row.username,
    ...(row.display_name !== null ? { displayName: row.display_name } : {}),
  };
}
