// The account calls of the HTTP API (PROTOCOL §1), the only ones the account screens need. The chat
// screens will use @parley/client; these few calls stay small enough to keep here until then.

/** What register and login answer (PROTOCOL §1). */
export interface SignedIn {
  readonly userId: string;
  readonly username: string;
  readonly token: string;
  readonly expiresAt: string;
}

/** A refusal in the protocol's one error shape, or `NETWORK` when no answer came. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The error of a failed answer's body, `{"error": {"code", "message", "retryAfterMs"?}}`. */
export function errorFromBody(status: number, body: unknown): ApiError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : {};
  const code = typeof error.code === 'string' ? error.code : `HTTP_${status}`;
  const message = typeof error.message === 'string' ? error.message : `the server answered ${status}`;
  const retryAfterMs = typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
  return new ApiError(status, code, message, retryAfterMs);
}

function signedIn(body: unknown): SignedIn {
  if (
    isRecord(body) &&
    typeof body.userId === 'string' &&
    typeof body.username === 'string' &&
    typeof body.token === 'string' &&
    typeof body.expiresAt === 'string'
  )
    return { userId: body.userId, username: body.username, token: body.token, expiresAt: body.expiresAt };
  throw new ApiError(0, 'UNEXPECTED_ANSWER', 'the server gave an answer this app does not understand');
}

async function call(path: string, init: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'NETWORK', 'cannot reach Parley; check your connection and try again');
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw errorFromBody(response.status, body);
  return body;
}

const postJson = (path: string, body: unknown) =>
  call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export interface Registration {
  readonly username: string;
  readonly password: string;
  readonly displayName?: string;
}

export const register = async (registration: Registration): Promise<SignedIn> =>
  signedIn(await postJson('/v1/auth/register', registration));

export const logIn = async (username: string, password: string): Promise<SignedIn> =>
  signedIn(await postJson('/v1/auth/login', { username, password }));

/** Resolves when the token still works; an ApiError (401 TOKEN_EXPIRED, ACCOUNT_DISABLED...) if not. */
export async function checkToken(token: string): Promise<void> {
  await call('/v1/users/me', { headers: { authorization: `Bearer ${token}` } });
}

/** A provider one may sign in with (PROTOCOL §1, provider sign-in). */
export interface SignInProvider {
  readonly id: string;
  readonly name: string;
}

/** The configured providers; none when the list cannot be had (the password form still works). */
export async function listProviders(): Promise<SignInProvider[]> {
  try {
    const body = await call('/v1/auth/providers', {});
    const providers = isRecord(body) && Array.isArray(body.providers) ? (body.providers as unknown[]) : [];
    return providers.filter(
      (p): p is SignInProvider => isRecord(p) && typeof p.id === 'string' && typeof p.name === 'string',
    );
  } catch {
    return [];
  }
}

/** Where the browser starts a sign-in with `providerId` (a navigation: the server redirects). */
export const providerStartPath = (providerId: string): string =>
  `/v1/auth/${encodeURIComponent(providerId)}/start`;

/** The session of a finished provider sign-in, for the one-time result of the landing URL. */
export const exchangeSignIn = async (result: string): Promise<SignedIn> =>
  signedIn(await postJson('/v1/auth/exchange', { result }));
