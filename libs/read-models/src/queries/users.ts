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
  const { rows } = await pool.query<UserRow>(
    `SELECT user_id, username, display_name FROM users WHERE username = $1 AND status <> 'DELETED'`,
    [username],
  );
  return rows[0] && toUserView(rows[0]);
}

/**
 * The account with this id, unless it is deleted: how a client names the senders and members it
 * knows only by id. Ids are random UUIDs, so this too enumerates nobody.
 */
export async function findUserById(pool: Pool, userId: string): Promise<UserView | undefined> {
  const { rows } = await pool.query<UserRow>(
    `SELECT user_id, username, display_name FROM users WHERE user_id = $1 AND status <> 'DELETED'`,
    [userId],
  );
  return rows[0] && toUserView(rows[0]);
}

interface UserRow {
  readonly user_id: string;
  readonly username: string;
  readonly display_name: string | null;
}

const toUserView = (row: UserRow): UserView => ({
  userId: row.user_id,
  username: row.username,
  ...(row.display_name !== null ? { displayName: row.display_name } : {}),
});
