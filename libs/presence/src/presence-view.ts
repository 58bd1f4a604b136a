import type { Pool } from 'pg';
import type { PresenceTracker } from './presence-tracker';

export interface PresenceView {
  readonly userId: string;
  readonly status: 'online' | 'offline';
  /** Now for an online user; the last time an offline user was seen (null: never). */
  readonly lastSeen: string | null;
}

/** PROTOCOL §2 `GET /v1/users/{userId}/presence`: live state from Redis, last seen from the read model. */
export async function readPresence(
  pool: Pool,
  tracker: PresenceTracker,
  userId: string,
): Promise<PresenceView> {
  // Redis away: presence is unknown, and offline is the honest answer.
  const online = await tracker.isOnline(userId).catch(() => false);
  if (online) return { userId, status: 'online', lastSeen: new Date().toISOString() };
  const { rows } = await pool.query<{ last_seen: Date }>(
    'SELECT last_seen FROM presence WHERE user_id = $1',
    [userId],
  );
  return { userId, status: 'offline', lastSeen: rows[0]?.last_seen.toISOString() ?? null };
}
