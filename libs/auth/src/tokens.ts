import { SignJWT, errors, jwtVerify } from 'jose';
import { DomainError } from '@parley/domain';

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

const ISSUER = 'parley';
const ALGORITHM = 'HS256';

/** Signs and checks the bearer tokens of PROTOCOL §1 (JWT, `sub` = userId). */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds = 24 * 60 * 60,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(userId: string, now: Date = new Date()): Promise<IssuedToken> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((issuedAt + this.ttlSeconds) * 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setIssuedAt(issuedAt)
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
    return { token, expiresAt };
  }

  /** The user id in a valid token; a missing, expired or forged token is UNAUTHENTICATED. */
  async verify(token: string | undefined, now: Date = new Date()): Promise<string> {
    return (await this.verifySubject(token, now)).userId;
  }

  /** The user id in a valid token and when it expires (a session ends then). */
  async verifySubject(
    token: string | undefined,
    now: Date = new Date(),
  ): Promise<{ userId: string; expiresAtMs: number | undefined }> {
    if (!token) throw unauthenticated('TOKEN_MISSING', 'a bearer token is required');
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        algorithms: [ALGORITHM],
        currentDate: now,
      });
      if (typeof payload.sub !== 'string' || payload.sub === '')
        throw unauthenticated('TOKEN_INVALID', 'token has no subject');
      return { userId: payload.sub, expiresAtMs: payload.exp === undefined ? undefined : payload.exp * 1000 };
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (error instanceof errors.JWTExpired) throw unauthenticated('TOKEN_EXPIRED', 'token has expired');
      throw unauthenticated('TOKEN_INVALID', 'token is not valid');
    }
  }
}

/** `Bearer <token>` from an Authorization header (or a STOMP header of the same form). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

const unauthenticated = (code: string, message: string) => new DomainError('unauthenticated', code, message);
