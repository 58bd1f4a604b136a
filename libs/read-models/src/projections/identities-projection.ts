import { sql, ts, type Projection } from '@parley/projections';

/**
 * Identities at sign-in providers: chat.users → user_identities (and the claims the gateway takes
 * before producing). Events are keyed by user, so an identity unlinked from one account and linked
 * to another can be projected in either order: a link replaces an older one, and an unlink removes
 * only its own account's row.
 */
export const identitiesProjection: Projection = {
  name: 'identities',
  topics: ['chat.users'],
  tables: ['user_identities'],
  sideTables: ['identity_claims'],
  apply(event) {
    switch (event.type) {
      case 'IdentityLinked':
        return [
          sql(
            `INSERT INTO identity_claims (provider, subject, user_id, claimed_at) VALUES ($1, $2, $3, ${ts(4)})
             ON CONFLICT (provider, subject) DO NOTHING`,
            event.provider,
            event.subject,
            event.userId,
            event.occurredAt,
          ),
          sql(
            `INSERT INTO user_identities (provider, subject, user_id, verified_email, linked_at)
             VALUES ($1, $2, $3, $4, ${ts(5)})
             ON CONFLICT (provider, subject) DO UPDATE
               SET user_id = EXCLUDED.user_id, verified_email = EXCLUDED.verified_email, linked_at = EXCLUDED.linked_at
             WHERE user_identities.linked_at <= EXCLUDED.linked_at`,
            event.provider,
            event.subject,
            event.userId,
            event.verifiedEmail,
            event.occurredAt,
          ),
        ];
      case 'IdentityUnlinked':
        return [
          sql(
            `DELETE FROM user_identities
              WHERE provider = $1 AND subject = $2 AND user_id = $3 AND linked_at <= ${ts(4)}`,
            event.provider,
            event.subject,
            event.userId,
            event.occurredAt,
          ),
          sql(
            'DELETE FROM identity_claims WHERE provider = $1 AND subject = $2 AND user_id = $3',
            event.provider,
            event.subject,
            event.userId,
          ),
        ];
      default:
        return [];
    }
  },
};
