import { ParleyError } from './errors';
import type {
  ConversationPage,
  EditAnswer,
  Identities,
  MessagePage,
  Presence,
  ProviderSession,
  Session,
  SignInProvider,
  UserProfile,
} from './protocol';

/** The `fetch` the SDK calls (the global one by default). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{ status: number; text(): Promise<string> }>;

/** Which page of a conversation's history (PROTOCOL §2.4). */
export type HistoryQuery =
  | { readonly beforeSeq?: number; readonly afterSeq?: never; readonly limit?: number }
  | { readonly afterSeq: number; readonly beforeSeq?: never; readonly limit?: number };

/**
 * Parley's HTTP calls under `/v1` (PROTOCOL §1, §2), one method each. Every failure is a
 * {@link ParleyError} with the server's code, HTTP status and `retryAfterMs`, or `NETWORK` when no
 * answer came.
 */
export class HttpApi {
  private readonly base: string;
  private readonly fetchImpl: FetchLike;

  constructor(options: {
    /** The gateway's address, e.g. `https://chat.example.com` (the API is under `/v1`). */
    readonly baseUrl: string;
    /** The token of the signed-in user, read for every call that needs one. */
    readonly token?: () => string | undefined;
    readonly fetch?: FetchLike;
  }) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token ?? (() => undefined);
    const global = (globalThis as { fetch?: FetchLike }).fetch;
    const chosen = options.fetch ?? global;
    if (!chosen) throw new Error('HttpApi: no fetch in this environment; pass one');
    // Called through a closure: a browser's fetch throws when called as a method of something else.
    this.fetchImpl = (url, init) => chosen(url, init);
  }

  private readonly token: () => string | undefined;

  register(body: { username: string; password: string; displayName?: string }): Promise<Session> {
    return this.call<Session>('POST', '/v1/auth/register', body, false);
  }

  login(body: { username: string; password: string }): Promise<Session> {
    return this.call<Session>('POST', '/v1/auth/login', body, false);
  }

  me(): Promise<{ userId: string }> {
    return this.call('GET', '/v1/users/me');
  }

  /** The user with exactly this username (`404 NOT_FOUND` when there is none). */
  findUser(username: string): Promise<UserProfile> {
    return this.call('GET', `/v1/users${queryString({ username })}`);
  }

  /** The user with this id (`404 NOT_FOUND` for an unknown or deleted one): names senders and members. */
  user(userId: string): Promise<UserProfile> {
    return this.call('GET', `/v1/users/${enc(userId)}`);
  }

  conversations(query: { limit?: number; cursor?: string } = {}): Promise<ConversationPage> {
    return this.call('GET', `/v1/conversations${queryString(query)}`);
  }

  history(conversationId: string, query: HistoryQuery = {}): Promise<MessagePage> {
    return this.call('GET', `/v1/conversations/${enc(conversationId)}/messages${queryString(query)}`);
  }

  messagesSince(query: { since: string; limit?: number; cursor?: string }): Promise<MessagePage> {
    return this.call('GET', `/v1/messages${queryString(query)}`);
  }

  /** Sends over HTTP (the outbox sends over STOMP; this is for tools and fallbacks). */
  sendMessage(body: {
    messageId: string;
    conversationId?: string;
    recipientId?: string;
    text: string;
  }): Promise<{ messageId: string; conversationId: string; status: 'sent'; sentAt: string }> {
    return this.call('POST', '/v1/messages', body);
  }

  setMessageStatus(
    messageId: string,
    status: 'read' | 'deleted_for_sender' | 'deleted_for_everybody',
  ): Promise<void> {
    return this.call('PATCH', `/v1/messages/${enc(messageId)}/status`, { status });
  }

  /**
   * Edits one's own message (PROTOCOL §2.7). Sending the same `editId` again is safe: the edit
   * counts once, and a retry after it was recorded gets the first answer.
   */
  editMessage(messageId: string, body: { text: string; editId?: string }): Promise<EditAnswer> {
    return this.call('PATCH', `/v1/messages/${enc(messageId)}`, body);
  }

  createGroup(body: { title: string; memberIds: readonly string[] }): Promise<{ conversationId: string }> {
    return this.call('POST', '/v1/conversations', body);
  }

  addMember(conversationId: string, userId: string): Promise<void> {
    return this.call('POST', `/v1/conversations/${enc(conversationId)}/members`, { userId });
  }

  removeMember(conversationId: string, userId: string): Promise<void> {
    return this.call('DELETE', `/v1/conversations/${enc(conversationId)}/members/${enc(userId)}`);
  }

  presence(userId: string): Promise<Presence> {
    return this.call('GET', `/v1/users/${enc(userId)}/presence`);
  }

  /** The providers one may sign in with (PROTOCOL §1, provider sign-in); a browser starts at `/v1/auth/{id}/start`. */
  signInProviders(): Promise<{ providers: SignInProvider[] }> {
    return this.call('GET', '/v1/auth/providers', undefined, false);
  }

  /** The session of a finished provider sign-in, for the landing URL's one-time `result` (once). */
  exchangeSignIn(result: string): Promise<ProviderSession> {
    return this.call('POST', '/v1/auth/exchange', { result }, false);
  }

  /** The caller's linked providers and whether it has a password. */
  identities(): Promise<Identities> {
    return this.call('GET', '/v1/me/identities');
  }

  /** A one-time `startUrl` (two minutes) that links `provider` to the caller's account once opened. */
  linkIntent(provider: string): Promise<{ startUrl: string; expiresAt: string }> {
    return this.call('POST', `/v1/me/identities/${enc(provider)}/link-intent`);
  }

  /** Unlinks `provider` (`409 LAST_SIGN_IN_METHOD` if it is the account's only way to sign in). */
  unlinkIdentity(provider: string): Promise<void> {
    return this.call('DELETE', `/v1/me/identities/${enc(provider)}`);
  }

  /** A password for an account a provider made (`409 PASSWORD_ALREADY_SET` if it has one). */
  setPassword(password: string): Promise<void> {
    return this.call('PUT', '/v1/me/password', { password });
  }

  private async call<T>(method: string, path: string, body?: unknown, authorised = true): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (authorised) {
      const token = this.token();
      if (!token) throw new ParleyError('NOT_SIGNED_IN', 'sign in first', 'client');
      headers.authorization = `Bearer ${token}`;
    }
    let answer: { status: number; text(): Promise<string> };
    let text: string;
    try {
      answer = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      text = await answer.text();
    } catch (cause) {
      throw new ParleyError(
        'NETWORK',
        `${method} ${path}: no answer (${cause instanceof Error ? cause.message : String(cause)})`,
        'network',
      );
    }
    const parsed = parseJson(text);
    if (answer.status >= 200 && answer.status < 300) return parsed as T;
    const error = (
      parsed as { error?: { code?: unknown; message?: unknown; retryAfterMs?: unknown } } | undefined
    )?.error;
    const code = typeof error?.code === 'string' ? error.code : `HTTP_${answer.status}`;
    const message =
      typeof error?.message === 'string' ? error.message : `${method} ${path} answered ${answer.status}`;
    throw new ParleyError(code, message, 'http', {
      status: answer.status,
      ...(typeof error?.retryAfterMs === 'number' ? { retryAfterMs: error.retryAfterMs } : {}),
    });
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const enc = encodeURIComponent;

function queryString(query: Record<string, string | number | undefined>): string {
  const parts = Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${enc(key)}=${enc(String(value))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}
