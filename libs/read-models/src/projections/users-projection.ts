import { sql, ts, type Projection } from '@parley/projections';

/** Accounts: chat.users → users. */
export const usersProjection: Projection = {
  name: 'users',
  topics: ['chat.users'],
  tables: ['users'],
  sideTables: ['username_claims'],
  apply(event) {
    switch (event.type) {
      case 'UserRegistered':
        return [
          sql(
            `INSERT INTO username_claims (username, user_id, claimed_at) VALUES ($1, $2, ${ts(3)})
             ON CONFLICT (username) DO NOTHING`,
            event.username,
            event.userId,
            event.occurredAt,
          ),
          sql(
            `INSERT INTO users (user_id, username, display_name, registered_at) VALUES ($1, $2, $3, ${ts(4)})
             ON CONFLICT (user_id) DO NOTHING`,
            event.userId,
            event.username,
            event.displayName,
            event.occurredAt,
          ),
        ];
      case 'UserStatusChanged':
        return [
          sql(
            `UPDATE users SET status = $2, status_changed_at = ${ts(3)} WHERE user_id = $1`,
            event.userId,
            event.status,
            event.occurredAt,
          ),
        ];
      default:
        return [];
    }
  },
};

/** Password hashes: chat.credentials → credentials (latest wins, like the compacted topic). */
export const credentialsProjection: Projection = {
  name: 'credentials',
  topics: ['chat.credentials'],
  tables: ['credentials'],
  apply(event) {
    if (event.type !== 'CredentialsSet') return [];
    return [
      sql(
        `INSERT INTO credentials (user_id, password_hash, set_at) VALUES ($1, $2, ${ts(3)})
         ON CONFLICT (user_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, set_at = EXCLUDED.set_at
         WHERE credentials.set_at <= EXCLUDED.set_at`,
        event.userId,
        event.passwordHash,
        event.occurredAt,
      ),
    ];
  },
};
