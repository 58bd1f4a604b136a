import { randomInt, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PasswordHasher, type TokenService } from '@parley/auth';
import { DomainError, asObject, parsePassword } from '@parley/domain';
import type { ProviderProfile } from '@parley/identity-providers';
import type { Logger } from '@parley/logging';
import { waitForReadModel } from '@parley/read-models';
import type { AccountEventPublisher, Session } from './account-service';
import { NO_ADMINS, isReservedUsername, type AdminGrants } from './admins';
import { IdentityClaims, type IdentityKey } from './identity-claims';
import {
  checkUnlink,
  decideProviderAccount,
  usernameCandidates,
  type SignInIntent,
} from './provider-account-rules';
import { UsernameClaims } from './username-claims';

/** How a provider sign-in ended for the account. */
export type SignInOutcome = 'signed_in' | 'registered' | 'linked';

/** What a provider sign-in answers: a session, as login's, and what happened. */
export interface ProviderSession extends Session {
  readonly provider: string;
  readonly outcome: SignInOutcome;
}

export interface LinkedIdentity {
  readonly provider: string;
  readonly linkedAt: string;
}

export interface ProviderAccountsDeps {
  readonly pool: Pool;
  readonly publisher: AccountEventPublisher;
  readonly tokens: TokenService;
  /** PROVIDER_MERGE_VERIFIED_EMAIL: a provider's verified email may join the account holding it. */
  readonly mergeVerifiedEmail: boolean;
  readonly admins?: AdminGrants;
  readonly passwords?: PasswordHasher;
  readonly claimLeaseMs?: number;
  readonly logger?: Logger;
  readonly now?: () => Date;
}

const disabled = (status: string) =>
  new DomainError('unauthenticated', 'ACCOUNT_DISABLED', `this account is ${status.toLowerCase()}`);

/**
 * Accounts behind providers' identities: sign-in (or sign-up) with a checked provider profile,
 * linking an identity to the signed-in account, unlinking, and a password for an account that has
 * none. The decisions are the pure rules of provider-account-rules.ts; this reads what they need
 * and records what they decide (IdentityLinked, IdentityUnlinked on chat.users; UserRegistered;
 * CredentialsSet). Changes to one account's ways of signing in run one at a time (a PostgreSQL
 * advisory lock per account), so two unlinks at once cannot leave it without any.
 */
export class ProviderAccounts {
  private readonly now: () => Date;
  private readonly usernames: UsernameClaims;
  private readonly identityClaims: IdentityClaims;
  private readonly passwords: PasswordHasher;
  private readonly admins: AdminGrants;

  constructor(private readonly deps: ProviderAccountsDeps) {
    this.now = deps.now ?? (() => new Date());
    const leaseMs = deps.claimLeaseMs ?? 40_000;
    this.usernames = new UsernameClaims(deps.pool, leaseMs, deps.logger);
    this.identityClaims = new IdentityClaims(deps.pool, leaseMs, deps.logger);
    this.passwords = deps.passwords ?? new PasswordHasher();
    this.admins = deps.admins ?? NO_ADMINS;
  }

  /** Signs in (or up, or links) with a profile the provider flow checked. */
  async signIn(profile: ProviderProfile, intent: SignInIntent): Promise<ProviderSession> {
    const linkedUserId = await this.identityClaims.holder(profile);
    const emailOwners =
      this.deps.mergeVerifiedEmail && profile.email !== undefined && linkedUserId === undefined
        ? await this.emailOwners(profile)
        : [];
    const candidates = [...emailOwners, ...(intent.kind === 'link' ? [intent.userId] : [])];
    const subjects = await this.subjectsAt(profile.provider, candidates);
    const decision = decideProviderAccount(
      profile,
      intent,
      { ...(linkedUserId ? { linkedUserId } : {}), emailOwners, subjectAtProvider: (id) => subjects.get(id) },
      { mergeVerifiedEmail: this.deps.mergeVerifiedEmail },
    );
    switch (decision.kind) {
      case 'sign-in':
        return this.session(decision.userId, profile.provider, 'signed_in');
      case 'already-linked':
        return this.session(decision.userId, profile.provider, 'linked');
      case 'link':
        return this.withAccountLock(decision.userId, () => this.link(profile, decision.userId, intent));
      case 'register':
        return this.register(profile);
      default: {
        const never: never = decision;
        throw new Error(`unknown decision ${JSON.stringify(never)}`);
      }
    }
  }

  /** The account's identities, oldest first, and whether it has a password. */
  async identities(userId: string): Promise<{ identities: LinkedIdentity[]; password: boolean }> {
    const methods = await this.methods(userId);
    return {
      identities: methods.rows.map((row) => ({
        provider: row.provider,
        linkedAt: row.linked_at.toISOString(),
      })),
      password: methods.hasPassword,
    };
  }

  /** Removes the link to `provider`, unless it is the account's last way to sign in. */
  async unlink(userId: string, provider: string): Promise<void> {
    await this.withAccountLock(userId, async () => {
      const methods = await this.methods(userId);
      checkUnlink(
        { hasPassword: methods.hasPassword, providers: methods.rows.map((r) => r.provider) },
        provider,
      );
      const row = methods.rows.find((r) => r.provider === provider);
      if (!row) return;
      const occurredAt = this.now().getTime();
      await this.deps.publisher.publish([
        {
          type: 'IdentityUnlinked',
          eventId: randomUUID(),
          occurredAt,
          userId,
          provider,
          subject: row.subject,
        },
      ]);
      await this.identityClaims.release({ provider, subject: row.subject }, userId);
      await waitForReadModel(
        this.deps.pool,
        `SELECT 1 AS gone WHERE NOT EXISTS (
           SELECT 1 FROM user_identities WHERE provider = $1 AND subject = $2 AND user_id = $3)`,
        [provider, row.subject, userId],
      );
    });
  }

  /** A password for an account that has none (one made by a provider); changing one is not this call. */
  async setPassword(userId: string, input: Readonly<Record<string, unknown>>): Promise<void> {
    const password = parsePassword(asObject(input).password);
    await this.withAccountLock(userId, async () => {
      if ((await this.methods(userId)).hasPassword)
        throw new DomainError('conflict', 'PASSWORD_ALREADY_SET', 'this account has a password already');
      const passwordHash = await this.passwords.hash(password);
      const occurredAt = this.now().getTime();
      await this.deps.publisher.publish([
        { type: 'CredentialsSet', eventId: randomUUID(), occurredAt, userId, passwordHash },
      ]);
      await waitForReadModel(
        this.deps.pool,
        'SELECT 1 FROM credentials WHERE user_id = $1 AND set_at >= to_timestamp($2::double precision / 1000)',
        [userId, occurredAt],
      );
    });
  }

  /** A new account for the profile: a username from its hints, the identity linked from the start. */
  private async register(profile: ProviderProfile): Promise<ProviderSession> {
    const userId = randomUUID();
    const username = await this.claimUsername(profile, userId);
    const holder = await this.identityClaims.claim(profile, userId);
    if (holder !== userId) {
      // Another sign-in with this identity made its account a moment ago: that is the account.
      await this.usernames.release(username, userId);
      return this.session(holder, profile.provider, 'signed_in');
    }
    const occurredAt = this.now().getTime();
    try {
      // One send, one key: UserRegistered reaches the topic before IdentityLinked.
      await this.deps.publisher.publish([
        {
          type: 'UserRegistered',
          eventId: randomUUID(),
          occurredAt,
          userId,
          username,
          displayName: profile.displayName ?? null,
        },
        this.linkedEvent(profile, userId, occurredAt),
      ]);
    } catch (error) {
      await this.usernames.release(username, userId);
      await this.identityClaims.release(profile, userId);
      throw error;
    }
    await this.usernames.confirm(username, userId);
    await this.identityClaims.confirm(profile, userId);
    await this.waitForLink(profile, userId);
    this.deps.logger?.info({ userId, provider: profile.provider }, 'account made by a provider sign-in');
    return this.session(userId, profile.provider, 'registered', username);
  }

  private async link(
    profile: ProviderProfile,
    userId: string,
    intent: SignInIntent,
  ): Promise<ProviderSession> {
    const status = await this.statusOf(userId);
    if (status !== undefined && status !== 'ACTIVE') throw disabled(status);
    const holder = await this.identityClaims.claim(profile, userId);
    if (holder !== userId) {
      if (intent.kind === 'link')
        throw new DomainError(
          'conflict',
          'IDENTITY_TAKEN',
          `this ${profile.provider} identity is linked to another account`,
        );
      return this.session(holder, profile.provider, 'signed_in');
    }
    try {
      await this.deps.publisher.publish([this.linkedEvent(profile, userId, this.now().getTime())]);
    } catch (error) {
      await this.identityClaims.release(profile, userId);
      throw error;
    }
    await this.identityClaims.confirm(profile, userId);
    await this.waitForLink(profile, userId);
    this.deps.logger?.info({ userId, provider: profile.provider }, 'provider identity linked');
    return this.session(userId, profile.provider, 'linked');
  }

  private linkedEvent(profile: ProviderProfile, userId: string, occurredAt: number) {
    return {
      type: 'IdentityLinked' as const,
      eventId: randomUUID(),
      occurredAt,
      userId,
      provider: profile.provider,
      subject: profile.subject,
      // Only an address the provider verified is recorded: nothing else may ever merge accounts.
      verifiedEmail: profile.emailVerified && profile.email ? profile.email : null,
    };
  }

  private async claimUsername(profile: ProviderProfile, userId: string): Promise<string> {
    const random = () => String(randomInt(1000, 10_000));
    for (const candidate of usernameCandidates(profile.usernameHints, random)) {
      if (isReservedUsername(this.admins, candidate)) continue;
      if ((await this.usernames.claim(candidate, userId)) === userId) return candidate;
    }
    throw new DomainError(
      'conflict',
      'USERNAME_TAKEN',
      'no free username was found for the new account; try again',
    );
  }

  /** Accounts holding the profile's email as another identity's verified email. */
  private async emailOwners(profile: ProviderProfile): Promise<string[]> {
    const { rows } = await this.deps.pool.query<{ user_id: string }>(
      `SELECT DISTINCT user_id FROM user_identities
        WHERE verified_email = $1 AND NOT (provider = $2 AND subject = $3)`,
      [profile.email, profile.provider, profile.subject],
    );
    return rows.map((row) => row.user_id).sort();
  }

  /** For each of these accounts, the subject it has at `provider` (if any). */
  private async subjectsAt(provider: string, userIds: readonly string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const { rows } = await this.deps.pool.query<{ user_id: string; subject: string }>(
      'SELECT user_id, subject FROM user_identities WHERE provider = $1 AND user_id = ANY($2)',
      [provider, userIds],
    );
    return new Map(rows.map((row) => [row.user_id, row.subject]));
  }

  private async methods(userId: string) {
    const [identities, credentials] = await Promise.all([
      this.deps.pool.query<{ provider: string; subject: string; linked_at: Date }>(
        'SELECT provider, subject, linked_at FROM user_identities WHERE user_id = $1 ORDER BY linked_at, provider',
        [userId],
      ),
      this.deps.pool.query('SELECT 1 FROM credentials WHERE user_id = $1', [userId]),
    ]);
    return { rows: identities.rows, hasPassword: (credentials.rowCount ?? 0) > 0 };
  }

  private waitForLink(identity: IdentityKey, userId: string) {
    return waitForReadModel(
      this.deps.pool,
      'SELECT 1 FROM user_identities WHERE provider = $1 AND subject = $2 AND user_id = $3',
      [identity.provider, identity.subject, userId],
    );
  }

  private async statusOf(userId: string): Promise<string | undefined> {
    const { rows } = await this.deps.pool.query<{ status: string }>(
      'SELECT status FROM users WHERE user_id = $1',
      [userId],
    );
    return rows[0]?.status;
  }

  private async session(
    userId: string,
    provider: string,
    outcome: SignInOutcome,
    knownUsername?: string,
  ): Promise<ProviderSession> {
    const status = await this.statusOf(userId);
    if (status !== undefined && status !== 'ACTIVE') throw disabled(status);
    const username = knownUsername ?? (await this.usernameOf(userId));
    const { token, expiresAt } = await this.deps.tokens.issue(userId, this.now());
    return { userId, username, token, expiresAt: expiresAt.toISOString(), provider, outcome };
  }

  private async usernameOf(userId: string): Promise<string> {
    const { rows } = await this.deps.pool.query<{ username: string }>(
      'SELECT username FROM username_claims WHERE user_id = $1',
      [userId],
    );
    if (!rows[0]) throw new Error(`the account ${userId} has an identity but no username`);
    return rows[0].username;
  }

  /** Runs `work` while holding this account's lock (a session-level advisory lock on one connection). */
  private async withAccountLock<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const connection = await this.deps.pool.connect();
    const key = `parley.sign-in-methods:${userId}`;
    try {
      await connection.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      try {
        return await work();
      } finally {
        await connection.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      }
    } finally {
      connection.release();
    }
  }
}
