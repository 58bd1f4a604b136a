import { sql, ts, type Projection } from '@parley/projections';

/** Presence and last seen: chat.presence → presence. A user's events share a partition; the newest wins. */
export const presenceProjection: Projection = {
  name: 'presence',
  topics: ['chat.presence'],
  tables: ['presence'],
  apply(event) {
    if (event.type !== 'PresenceChanged') return [];
    return [
      sql(
        `INSERT INTO presence (user_id, status, last_seen, changed_at) VALUES ($1, $2, ${ts(3)}, ${ts(4)})
         ON CONFLICT (user_id) DO UPDATE
           SET status = EXCLUDED.status, last_seen = GREATEST(presence.last_seen, EXCLUDED.last_seen),
               changed_at = EXCLUDED.changed_at
         WHERE presence.changed_at <= EXCLUDED.changed_at`,
        event.userId,
        event.status,
        event.lastSeen,
        event.occurredAt,
      ),
    ];
  },
};
