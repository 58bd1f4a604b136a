import { backoffDelay, DEFAULT_RETRY_BACKOFF } from './backoff';
import { ParleyError } from './errors';
import type { HttpApi } from './http-api';
import type { Session } from './protocol';
import type { ClientStorage } from './storage';
import { WritableStore, type ReadableStore } from './store';

/** Where the signed-in session is kept between runs. */
export interface TokenStore {
  load(): Promise<Session | undefined>;
  save(session: Session): Promise<void>;
  clear(): Promise<void>;
}

/** Keeps the session under one key of a {@link ClientStorage}. */
export function storageTokenStore(storage: ClientStorage, key = 'session'): TokenStore {
  return {
    load: () => storage.get<Session>(key),
    save: (session) => storage.set(key, session),
    clear: () => storage.delete(key),
  };
}

/**
 * Gets a fresh token for a session about to expire. Parley has no refresh-token call (PROTOCOL §1:
 * a client logs in again), so the app decides how: ask the user, use a provider's sign-in, or let
 * the SDK log in again with credentials it keeps in memory ({@link Accounts.login}'s `keepForRenewal`).
 */
export type TokenRenewer = (session: Session) => Promise<Session>;

export interface AccountsOptions {
  readonly renew?: TokenRenewer;
  /** Renew this long before the token expires (default 10 minutes, at most half its lifetime). */
  readonly renewBeforeMs?: number;
}

/** setTimeout's longest wait. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Accounts: register, log in, sign out, the session kept in a {@link TokenStore}, and its renewal
 * before the token expires. `session` is observable; `onRenewed` tells the connection to hand the
 * live STOMP session its fresh token (`/app/session.refresh`, PROTOCOL §3.8).
 */
export class Accounts {
  private readonly current = new WritableStore<Session | undefined>(undefined);
  private renewer: TokenRenewer | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renewing: Promise<Session> | undefined;
  private readonly renewedListeners = new Set<(session: Session) => void>();

  constructor(
    private readonly http: HttpApi,
    private readonly tokens: TokenStore,
    private readonly options: AccountsOptions = {},
  ) {
    this.renewer = options.renew;
  }

  /** The signed-in session (undefined when signed out). */
  get session(): ReadableStore<Session | undefined> {
    return this.current;
  }

  token(): string | undefined {
    return this.current.getSnapshot()?.token;
  }

  /** Takes up the session a previous run kept, renewing it first if it is about to expire. */
  async restore(): Promise<Session | undefined> {
    const kept = await this.tokens.load();
    if (!kept) return undefined;
    this.adopt(kept);
    if (Date.parse(kept.expiresAt) - Date.now() < this.renewBeforeMs(kept)) {
      try {
        return await this.renewNow();
      } catch {
        if (Date.parse(kept.expiresAt) <= Date.now()) {
          await this.signOut();
          return undefined;
        }
      }
    }
    return kept;
  }

  async register(username: string, password: string, displayName?: string): Promise<Session> {
    const session = await this.http.register({
      username,
      password,
      ...(displayName !== undefined ? { displayName } : {}),
    });
    await this.tokens.save(session);
    this.adopt(session);
    return session;
  }

  /**
   * Logs in. With `keepForRenewal`, the credentials stay in this object's memory (never in storage)
   * and renew the token by logging in again, unless the app gave its own `renew`.
   */
  async login(
    username: string,
    password: string,
    options: { keepForRenewal?: boolean } = {},
  ): Promise<Session> {
    const session = await this.http.login({ username, password });
    if (options.keepForRenewal && !this.options.renew)
      this.renewer = () => this.http.login({ username, password });
    await this.tokens.save(session);
    this.adopt(session);
    return session;
  }

  /**
   * Finishes a provider sign-in: exchanges the one-time `result` of the landing URL's fragment
   * (`#result=…`) for the session, and keeps it.
   */
  async exchangeSignIn(result: string): Promise<Session> {
    const { userId, username, token, expiresAt } = await this.http.exchangeSignIn(result);
    const session = { userId, username, token, expiresAt };
    await this.tokens.save(session);
    this.adopt(session);
    return session;
  }

  /** Takes a session the app got elsewhere (a provider's sign-in). */
  async useSession(session: Session): Promise<void> {
    await this.tokens.save(session);
    this.adopt(session);
  }

  async signOut(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.options.renew) this.renewer = undefined;
    this.current.set(undefined);
    await this.tokens.clear();
  }

  /** Renews now (one renewal at a time); fails with `RENEWAL_FAILED` when no renewer is set. */
  renewNow(): Promise<Session> {
    const session = this.current.getSnapshot();
    if (!session) return Promise.reject(new ParleyError('NOT_SIGNED_IN', 'sign in first', 'client'));
    const renewer = this.renewer;
    if (!renewer)
      return Promise.reject(
        new ParleyError('RENEWAL_FAILED', 'the token expires and no way to renew it was given', 'client'),
      );
    this.renewing ??= (async () => {
      try {
        const fresh = await renewer(session);
        if (fresh.userId !== session.userId)
          throw new ParleyError('RENEWAL_FAILED', 'the renewed token is another user’s', 'client');
        await this.tokens.save(fresh);
        this.adopt(fresh);
        for (const listener of this.renewedListeners) listener(fresh);
        return fresh;
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  /** Called with each renewed session; returns the function that stops it. */
  onRenewed(listener: (session: Session) => void): () => void {
    this.renewedListeners.add(listener);
    return () => this.renewedListeners.delete(listener);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private renewBeforeMs(session: Session): number {
    const lifetime = Date.parse(session.expiresAt) - Date.now();
    return Math.min(this.options.renewBeforeMs ?? 10 * 60_000, Math.max(lifetime / 2, 0));
  }

  private adopt(session: Session): void {
    this.current.set(session);
    this.schedule(session, 0);
  }

  /** Renews `renewBeforeMs` ahead of expiry; a failed renewal is tried again with backoff until then. */
  private schedule(session: Session, failures: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.renewer) return;
    const expiresAt = Date.parse(session.expiresAt);
    const due =
      failures === 0
        ? expiresAt - this.renewBeforeMs(session) - Date.now()
        : backoffDelay(failures - 1, DEFAULT_RETRY_BACKOFF);
    if (Date.now() + due >= expiresAt && failures > 0) return;
    this.timer = setTimeout(
      () => {
        this.renewNow().catch(() => {
          const still = this.current.getSnapshot();
          if (still) this.schedule(still, failures + 1);
        });
      },
      Math.min(Math.max(due, 0), MAX_TIMER_MS),
    );
    // A pending renewal must not keep a Node process alive on its own.
    (this.timer as { unref?: () => void }).unref?.();
  }
}
