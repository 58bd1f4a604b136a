import type { Pool } from 'pg';
import type { Logger } from '@parley/logging';

/**
 * Usernames are claimed when a registration is accepted (PostgreSQL's primary key decides between
 * racing registrations), under a lease until Kafka has the registration's events. A claim whose
 * registration failed keeps its user id but not its lease: the next registration of the name takes
 * it over with that same user id, so events a failed attempt may have left on the topics and the
 * retry's agree on who the name belongs to. A claim whose user is projected is never taken over.
 */
export class UsernameClaims {
  constructor(
    private readonly pool: Pool,
    /** Above the producer's 30 s send timeout, so an attempt still producing is never taken over. */
    private readonly leaseMs: number,
    private readonly logger?: Logger,
  ) {}

  /** The user id the name is now claimed for (`userId`, or a failed attempt's), or undefined if taken. */
  async claim(username: string, userId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ user_id: string }>(
      `INSERT INTO username_claims (username, user_id, lease_until)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (username) DO UPDATE SET lease_until = EXCLUDED.lease_until, claimed_at = now()
        WHERE username_claims.lease_until < now()
          AND NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = username_claims.user_id)
       RETURNING user_id`,
      [username, userId, this.leaseMs],
    );
    return rows[0]?.user_id;
  }

  /** Kafka has the registration: the claim is final. */
  async confirm(username: string, userId: string): Promise<void> {
    await this.pool
      .query('UPDATE username_claims SET lease_until = NULL WHERE username = $1 AND user_id = $2', [
        username,
        userId,
      ])
      // The events are recorded and the users projection will show the user: no retry takes it over.
      .catch((error: unknown) =>
        this.logger?.warn({ err: error, username }, 'username claim not confirmed; the projection will'),
      );
  }

  /** The registration failed: the next attempt at the name may take the claim over at once. */
  async release(username: string, userId: string): Promise<void> {
    await this.pool
      .query(
        `UPDATE username_claims SET lease_until = now()
          WHERE username = $1 AND user_id = $2 AND lease_until IS NOT NULL`,
        [username, userId],
      )
      // Not released: the lease runs out by itself.
      .catch((error: unknown) => this.logger?.warn({ err: error, username }, 'username claim not released'));
  }
}
