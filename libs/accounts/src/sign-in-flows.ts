import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FlowSecrets } from '@parley/identity-providers';

/** One provider sign-in between its start and its callback. */
export interface StoredFlow extends FlowSecrets {
  readonly provider: string;
  /** Set when a signed-in account started it to link the provider. */
  readonly linkUserId?: string;
}

/** What a finished attempt handed to the web app: a session, or a refusal to re-raise. */
export type StoredResult =
  | { readonly ok: true; readonly session: Readonly<Record<string, unknown>> }
  | {
      readonly ok: false;
      readonly kind: string;
      readonly code: string;
      readonly message: string;
      readonly retryAfterMs?: number;
    };

/** A result as kept: with the hash of the browser-binding token the landing browser got in a cookie. */
export interface BoundResult {
  readonly result: StoredResult;
  readonly browser: string;
}

/** The lifetimes of what a sign-in keeps (fixed; docs/protocol.md §1). */
export const SIGN_IN_LIFETIMES = {
  /** From the start to the callback: time to sign in at the provider. */
  flowMs: 10 * 60_000,
  /** From the callback to the web app's exchange, which follows at once. */
  resultMs: 2 * 60_000,
  /** From asking to link a provider to the start it leads to. */
  linkIntentMs: 2 * 60_000,
} as const;

/** Random values: 256 bits in base64url (43 characters, as PKCE's verifier wants). */
export const randomToken = (): string => randomBytes(32).toString('base64url');
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Whether a value from a URL or a body can be one of ours (anything else is never looked up). */
export const isRandomToken = (value: unknown): value is string =>
  typeof value === 'string' && TOKEN_PATTERN.test(value);
/** What is kept of a browser-binding token (a Redis dump holds no cookie value). */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * What provider sign-ins keep between requests, in Redis so that any gateway node can take the
 * callback of a flow another node started; each entry expires by itself and is read once (GETDEL),
 * so a replayed callback, result or link intent finds nothing.
 */
export class SignInFlows {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly lifetimes = SIGN_IN_LIFETIMES,
  ) {}

  async begin(flow: StoredFlow): Promise<void> {
    await this.put(this.key('flow', flow.state), flow, this.lifetimes.flowMs);
  }

  take(state: string): Promise<StoredFlow | undefined> {
    return this.takeOnce<StoredFlow>(this.key('flow', state));
  }

  /** Keeps a result for the browser whose binding token hashes to `browser`; answers its id. */
  async saveResult(result: StoredResult, browser: string): Promise<string> {
    const id = randomToken();
    await this.put(
      this.key('result', id),
      { result, browser } satisfies BoundResult,
      this.lifetimes.resultMs,
    );
    return id;
  }

  takeResult(id: string): Promise<BoundResult | undefined> {
    return this.takeOnce<BoundResult>(this.key('result', id));
  }

  async createLinkIntent(userId: string, provider: string): Promise<{ intent: string; expiresAt: Date }> {
    const intent = randomToken();
    await this.put(this.key('link', intent), { userId, provider }, this.lifetimes.linkIntentMs);
    return { intent, expiresAt: new Date(Date.now() + this.lifetimes.linkIntentMs) };
  }

  takeLinkIntent(intent: string): Promise<{ userId: string; provider: string } | undefined> {
    return this.takeOnce(this.key('link', intent));
  }

  private key(kind: 'flow' | 'result' | 'link', id: string): string {
    return `${this.keyPrefix}signin:${kind}:${id}`;
  }

  private async put(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.redis.set(key, JSON.stringify(value), 'PX', ttlMs);
  }

  private async takeOnce<T>(key: string): Promise<T | undefined> {
    const value = await this.redis.getdel(key);
    return value === null ? undefined : (JSON.parse(value) as T);
  }
}
