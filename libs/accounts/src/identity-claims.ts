import type { Pool } from 'pg';
import { UnavailableError } from '@parley/domain';
import type { Logger } from '@parley/logging';

/** An identity at a provider: the primary key of its claim and of its read-model row. */
export interface IdentityKey {
  readonly provider: string;
  readonly subject: string;
}

/** How long a sign-in waits for another one that is linking the same identity right now. */
const IN_FLIGHT_WAIT_MS = 10_000;

/**
 * Identities are claimed before their IdentityLinked event is produced (PostgreSQL's primary key
 * decides between racing first sign-ins), under a lease until Kafka has the event, as usernames
 * are (username-claims.ts). A claim whose lease ran out unconfirmed and whose identity is not in the
 * read model (Kafka refused, or its gateway died) is taken over by the next attempt.
 */
export class IdentityClaims {
  constructor(
    private readonly pool: Pool,
    /** Above the producer's 30 s send timeout, so an attempt still producing is never taken over. */
    private readonly leaseMs: number,
    private readonly logger?: Logger,
  ) {}

  /**
   * The account the identity belongs to: confirmed, or being linked right now (then this waits for
   * that attempt to finish, so two racing first sign-ins land in one account). Undefined when free.
   */
  async holder(identity: IdentityKey): Promise<string | undefined> {
    const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
    for (;;) {
      const { rows } = await this.pool.query<{ user_id: string; confirmed: boolean; live: boolean }>(
        `SELECT c.user_id, (c.lease_until IS NULL OR EXISTS (
                  SELECT 1 FROM user_identities i WHERE i.provider = c.provider AND i.subject = c.subject
                )) AS confirmed,
                c.lease_until >= now() AS live
           FROM identity_claims c WHERE c.provider = $1 AND c.subject = $2`,
        [identity.provider, identity.subject],
      );
      const row = rows[0];
      if (!row) return undefined;
      if (row.confirmed) return row.user_id;
      if (!row.live) return undefined;
      if (Date.now() > deadline)
        throw new UnavailableError(
          'another sign-in with this identity is still in progress; try again',
          1_000,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Claims the identity for `userId`; answers who holds it now (another account if it lost). */
  async claim(identity: IdentityKey, userId: string): Promise<string> {
    const { rows } = await this.pool.query<{ user_id: string }>(
      `INSERT INTO identity_claims (provider, subject, user_id, lease_until)
       VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
       ON CONFLICT (provider, subject) DO UPDATE
         SET user_id = EXCLUDED.user_id, lease_until = EXCLUDED.lease_until, claimed_at = now()
       WHERE identity_claims.lease_until < now()
         AND NOT EXISTS (SELECT 1 FROM user_identities i
                          WHERE i.provider = identity_claims.provider AND i.subject = identity_claims.subject)
       RETURNING user_id`,
      [identity.provider, identity.subject, userId, this.leaseMs],
    );
    if (rows[0]) return rows[0].user_id;
    return (await this.holder(identity)) ?? (await this.claim(identity, userId));
  }

  /** Kafka has the IdentityLinked event: the claim is final. */
  async confirm(identity: IdentityKey, userId: string): Promise<void> {
    await this.pool
      .query(
        'UPDATE identity_claims SET lease_until = NULL WHERE provider = $1 AND subject = $2 AND user_id = $3',
        [identity.provider, identity.subject, userId],
      )
      .catch((error: unknown) =>
        this.logger?.warn({ err: error, ...identity }, 'identity claim not confirmed; the projection will'),
      );
  }

  /** The link failed (or was removed): the identity is free at once. */
  async release(identity: IdentityKey, userId: string): Promise<void> {
    await this.pool
      .query('DELETE FROM identity_claims WHERE provider = $1 AND subject = $2 AND user_id = $3', [
        identity.provider,
        identity.subject,
        userId,
      ])
      .catch((error: unknown) =>
        this.logger?.warn({ err: error, ...identity }, 'identity claim not released; its lease runs out'),
      );
  }
}
