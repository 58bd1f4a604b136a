import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { inTransaction } from '@parley/postgres';
import { DomainError } from '@parley/domain';
import type { PushSubscriptionInput } from './push-requests';

/** A subscription as its owner sees it (the keys stay on the server). */
export interface PushSubscriptionView {
  readonly subscriptionId: string;
  readonly endpoint: string;
  readonly expirationTime: string | null;
  readonly createdAt: string;
}

/** What the notifier sends to. */
export interface StoredPushSubscription {
  readonly subscriptionId: string;
  readonly userId: string;
  readonly endpoint: string;
  readonly p256dh: string;
  readonly auth: string;
}

interface SubscriptionRow {
  subscription_id: string;
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  expiration_time: Date | null;
  created_at: Date;
}

const view = (row: SubscriptionRow): PushSubscriptionView => ({
  subscriptionId: row.subscription_id,
  endpoint: row.endpoint,
  expirationTime: row.expiration_time ? row.expiration_time.toISOString() : null,
  createdAt: row.created_at.toISOString(),
});

export const tooManySubscriptions = (max: number) =>
  new DomainError(
    'conflict',
    'TOO_MANY_PUSH_SUBSCRIPTIONS',
    `a user has at most ${max} push subscriptions; delete one first`,
    { max },
  );

/** The browsers' push subscriptions (`push_subscriptions`), per user, capped. */
export class PushSubscriptionStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Registers (or renews) the subscription of `endpoint` for the user. The same endpoint again is
   * the same subscription (its keys renewed): `created` false. An endpoint another user registered
   * moves to this one (one browser, another account signed in). A user holding `max` already gets
   * TOO_MANY_PUSH_SUBSCRIPTIONS; the user's rows are counted under a lock of theirs, so two
   * registrations at once cannot both take the last place.
   */
  async register(
    userId: string,
    input: PushSubscriptionInput,
    max: number,
    now: Date = new Date(),
  ): Promise<{ readonly subscription: PushSubscriptionView; readonly created: boolean }> {
    return inTransaction(this.pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('push-subscriptions:' || $1, 0))`, [
        userId,
      ]);
      const { rows: counts } = await client.query<{ others: string; mine: boolean | null }>(
        `SELECT count(*) FILTER (WHERE endpoint <> $2) AS others, bool_or(endpoint = $2) AS mine
           FROM push_subscriptions WHERE user_id = $1`,
        [userId, input.endpoint],
      );
      const mine = counts[0]?.mine === true;
      if (!mine && Number(counts[0]?.others ?? 0) >= max) throw tooManySubscriptions(max);
      const { rows } = await client.query<SubscriptionRow>(
        `INSERT INTO push_subscriptions AS s
           (subscription_id, user_id, endpoint, p256dh, auth, expiration_time, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (endpoint) DO UPDATE SET
           subscription_id = CASE WHEN s.user_id = EXCLUDED.user_id THEN s.subscription_id ELSE EXCLUDED.subscription_id END,
           created_at = CASE WHEN s.user_id = EXCLUDED.user_id THEN s.created_at ELSE EXCLUDED.created_at END,
           user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
           expiration_time = EXCLUDED.expiration_time, updated_at = EXCLUDED.updated_at
         RETURNING *`,
        [
          randomUUID(),
          userId,
          input.endpoint,
          input.p256dh,
          input.auth,
          input.expirationTime === null ? null : new Date(input.expirationTime),
          now,
        ],
      );
      return { subscription: view(rows[0] as SubscriptionRow), created: !mine };
    });
  }

  /** The user's subscriptions, oldest first. */
  async list(userId: string): Promise<PushSubscriptionView[]> {
    const { rows } = await this.pool.query<SubscriptionRow>(
      'SELECT * FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, subscription_id',
      [userId],
    );
    return rows.map(view);
  }

  /** Deletes one of the user's subscriptions; false when the user has none by that id. */
  async remove(userId: string, subscriptionId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'DELETE FROM push_subscriptions WHERE subscription_id = $1 AND user_id = $2',
      [subscriptionId, userId],
    );
    return rowCount === 1;
  }

  /** The subscriptions of these users (the notifier's targets). */
  async ofUsers(userIds: readonly string[]): Promise<StoredPushSubscription[]> {
    if (userIds.length === 0) return [];
    const { rows } = await this.pool.query<SubscriptionRow>(
      'SELECT * FROM push_subscriptions WHERE user_id = ANY($1::text[]) ORDER BY created_at',
      [userIds],
    );
    return rows.map((row) => ({
      subscriptionId: row.subscription_id,
      userId: row.user_id,
      endpoint: row.endpoint,
      p256dh: row.p256dh,
      auth: row.auth,
    }));
  }

  /** Which of these users have at least one subscription. */
  async usersWithSubscriptions(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ user_id: string }>(
      'SELECT DISTINCT user_id FROM push_subscriptions WHERE user_id = ANY($1::text[])',
      [userIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /**
   * Drops a subscription its push service answered 404 or 410 for. Only the row as it was sent to
   * (same id and endpoint): one renewed meanwhile under another id stays.
   */
  async drop(subscription: StoredPushSubscription): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'DELETE FROM push_subscriptions WHERE subscription_id = $1 AND endpoint = $2',
      [subscription.subscriptionId, subscription.endpoint],
    );
    return rowCount === 1;
  }
}
