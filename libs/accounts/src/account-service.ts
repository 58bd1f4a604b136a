import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PasswordHasher, type TokenService } from '@parley/auth';
import {
  DomainError,
  notFound,
  parseAccountStatusRequest,
  parseDisplayName,
  parsePassword,
  parseUsername,
} from '@parley/domain';
import type { Logger } from '@parley/logging';
import type { EventPublisher } from '@parley/publishing';
import { waitForReadModel } from '@parley/read-models';
import { NO_ADMINS, isAdminUser, isReservedUsername, type AdminGrants } from './admins';
import type { SignInThrottle } from './sign-in-throttle';
import { UsernameClaims } from './username-claims';

export interface Session {
  readonly userId: string;
  readonly username: string;
  readonly token: string;
  readonly expiresAt: string;
}

/** Where a sign-in comes from: the key of the client's address (see clientAddressKey). */
export interface SignInClient {
  readonly address: string;
}

/** What accounts publish through (the gateway's EventPublisher; tests put faults in front of it). */
export type AccountEventPublisher = Pick<EventPublisher, 'publish'>;

export interface AccountServiceDeps {
  readonly pool: Pool;
  readonly publisher: AccountEventPublisher;
  readonly tokens: TokenService;
  /** Who may call the admin endpoints; their configured usernames cannot be registered. */
  readonly admins?: AdminGrants;
  /** Login and registration limits per address and username (none: not limited). */
  readonly throttle?: SignInThrottle;
  /** Password hashing with the node's cap (default: DEFAULT_PASSWORD_HASHING). */
  readonly passwords?: PasswordHasher;
  /** How long a registration holds its username before a retry may take it over. */
  readonly claimLeaseMs?: number;
  readonly logger?: Logger;
  readonly now?: () => Date;
}

interface AccountRow {
  readonly user_id: string;
  readonly username: string;
  readonly status: string;
  readonly password_hash: string | null;
}

const badCredentials = () =>
  new DomainError('unauthenticated', 'INVALID_CREDENTIALS', 'unknown username or wrong password');

const usernameTaken = (username: string) =>
  new DomainError('conflict', 'USERNAME_TAKEN', `username "${username}" is taken`);

const UNKNOWN_CLIENT: SignInClient = { address: 'unknown' };

/** Registration, login and token checks (PROTOCOL §1). */
export class AccountService {
  private readonly now: () => Date;
  private readonly admins: AdminGrants;
  private readonly passwords: PasswordHasher;
  private readonly claims: UsernameClaims;

  constructor(private readonly deps: AccountServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.admins = deps.admins ?? NO_ADMINS;
    this.passwords = deps.passwords ?? new PasswordHasher();
    this.claims = new UsernameClaims(deps.pool, deps.claimLeaseMs ?? 40_000, deps.logger);
  }

  /**
   * Claims the username, then records CredentialsSet and UserRegistered in Kafka, in that order, and
   * answers once Kafka has both: UserRegistered is the one that makes the account, and it never gets
   * onto the topic without its password hash before it. If Kafka refuses, the claim is released and
   * the next registration of the name (a retry) takes it over under the same user id.
   */
  async register(input: Readonly<Record<string, unknown>>, client = UNKNOWN_CLIENT): Promise<Session> {
    await this.deps.throttle?.register(client.address);
    const username = parseUsername(input.username);
    const password = parsePassword(input.password);
    const displayName = parseDisplayName(input.displayName);
    if (isReservedUsername(this.admins, username)) {
      this.deps.logger?.info({ username }, 'registration of a username configured as an admin refused');
      throw usernameTaken(username);
    }
    // Hashed before claiming: a registration refused for want of hashing capacity holds nothing.
    const passwordHash = await this.passwords.hash(password);
    const userId = await this.claims.claim(username, randomUUID());
    if (userId === undefined) throw usernameTaken(username);
    try {
      const occurredAt = this.now().getTime();
      await this.deps.publisher.publish([
        { type: 'CredentialsSet', eventId: randomUUID(), occurredAt, userId, passwordHash },
      ]);
      await this.deps.publisher.publish([
        { type: 'UserRegistered', eventId: randomUUID(), occurredAt, userId, username, displayName },
      ]);
    } catch (error) {
      await this.claims.release(username, userId);
      throw error;
    }
    await this.claims.confirm(username, userId);
    return this.session(userId, username);
  }

  /** The same answer for an unknown user and a wrong password, after the same work. */
  async login(input: Readonly<Record<string, unknown>>, client = UNKNOWN_CLIENT): Promise<Session> {
    const { username, password } = input;
    await this.deps.throttle?.login(client.address, username);
    if (typeof username !== 'string' || typeof password !== 'string') throw badCredentials();
    const account = await this.findAccount(username);
    const ok = await this.passwords.check(account?.password_hash ?? undefined, password);
    if (!account || !ok) throw badCredentials();
    if (account.status !== 'ACTIVE') {
      throw new DomainError(
        'unauthenticated',
        'ACCOUNT_DISABLED',
        `this account is ${account.status.toLowerCase()}`,
      );
    }
    return this.session(account.user_id, account.username);
  }

  /** The active user behind a bearer token. */
  async authenticate(token: string | undefined): Promise<string> {
    return (await this.authenticateSession(token)).userId;
  }

  /** The active user behind a bearer token, and when the token expires (a STOMP session ends then). */
  async authenticateSession(
    token: string | undefined,
  ): Promise<{ userId: string; expiresAtMs: number | undefined }> {
    const { userId, expiresAtMs } = await this.deps.tokens.verifySubject(token, this.now());
    const { rows } = await this.deps.pool.query<{ status: string }>(
      'SELECT status FROM users WHERE user_id = $1',
      [userId],
    );
    const status = rows[0]?.status;
    // A user registered a moment ago may not be projected yet: the signed token is proof enough.
    if (status !== undefined && status !== 'ACTIVE') {
      throw new DomainError('unauthenticated', 'ACCOUNT_DISABLED', `this account is ${status.toLowerCase()}`);
    }
    return { userId, expiresAtMs };
  }

  /** Whether the user may call the admin endpoints (by user id, or a username configured as an admin's). */
  isAdmin(userId: string): Promise<boolean> {
    return isAdminUser(this.deps.pool, this.admins, userId);
  }

  /**
   * The admin status call: records UserStatusChanged and answers once the users read model shows it,
   * so logins, connects and bearer tokens are refused from the moment the caller gets the answer.
   */
  async changeStatus(
    adminId: string,
    userId: string,
    input: Readonly<Record<string, unknown>>,
  ): Promise<{ userId: string; status: string }> {
    if (!(await this.isAdmin(adminId)))
      throw new DomainError('forbidden', 'FORBIDDEN', 'only administrators may change an account status');
    const { status, reason } = parseAccountStatusRequest(input);
    const known = await this.deps.pool.query('SELECT 1 FROM username_claims WHERE user_id = $1', [userId]);
    if (known.rowCount === 0) throw notFound('user', userId);
    const occurredAt = this.now().getTime();
    await this.deps.publisher.publish([
      {
        type: 'UserStatusChanged',
        eventId: randomUUID(),
        occurredAt,
        userId,
        status,
        changedBy: adminId,
        reason,
      },
    ]);
    await waitForReadModel(
      this.deps.pool,
      'SELECT 1 FROM users WHERE user_id = $1 AND status = $2 AND status_changed_at >= to_timestamp($3::double precision / 1000)',
      [userId, status, occurredAt],
    );
    return { userId, status: status.toLowerCase() };
  }

  /**
   * Reads the account from the read models. A name that is claimed but whose events are not projected
   * yet (registered a moment ago) is waited for briefly rather than refused.
   */
  private async findAccount(username: string): Promise<AccountRow | undefined> {
    for (let attempt = 0; ; attempt++) {
      const { rows } = await this.deps.pool.query<AccountRow & { projected: boolean }>(
        `SELECT c.user_id, c.username, COALESCE(u.status, 'ACTIVE') AS status, cr.password_hash,
                -- An account made by a provider sign-in has no password until it sets one.
                (u.user_id IS NOT NULL AND (cr.user_id IS NOT NULL OR EXISTS (
                   SELECT 1 FROM identity_claims ic WHERE ic.user_id = c.user_id AND ic.lease_until IS NULL
                ))) AS projected
           FROM username_claims c
           LEFT JOIN users u ON u.user_id = c.user_id
           LEFT JOIN credentials cr ON cr.user_id = c.user_id
          WHERE c.username = $1`,
        [username],
      );
      const row = rows[0];
      if (!row) return undefined;
      if (row.projected) return row;
      if (attempt >= 40) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async session(userId: string, username: string): Promise<Session> {
    const { token, expiresAt } = await this.deps.tokens.issue(userId, this.now());
    return { userId, username, token, expiresAt: expiresAt.toISOString() };
  }
}
