import type { Pool } from 'pg';

/**
 * Who may call the admin endpoints and the analytics API. User ids (ADMIN_USER_IDS) are given out
 * at registration and cannot be chosen, so they are the safe grant. Usernames (ADMIN_USERNAMES) are
 * still honoured for deployments that configured them, and the gateway refuses to register a
 * configured name, so only an account that held it before it was configured is an admin.
 */
export interface AdminGrants {
  readonly userIds: readonly string[];
  readonly usernames: readonly string[];
}

export const NO_ADMINS: AdminGrants = { userIds: [], usernames: [] };

/** Whether registering `username` is refused because it is configured as an admin's. */
export function isReservedUsername(admins: AdminGrants, username: string): boolean {
  return admins.usernames.includes(username);
}

/** Whether the user is an admin: by id, or by a username configured as an admin's. */
export async function isAdminUser(pool: Pool, admins: AdminGrants, userId: string): Promise<boolean> {
  if (admins.userIds.includes(userId)) return true;
  if (admins.usernames.length === 0) return false;
  // Claims hold a name before it is projected.
  const { rows } = await pool.query<{ username: string }>(
    'SELECT username FROM username_claims WHERE user_id = $1',
    [userId],
  );
  return rows.some((row) => admins.usernames.includes(row.username));
}
