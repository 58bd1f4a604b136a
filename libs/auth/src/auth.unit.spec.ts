import { SignJWT } from 'jose';
import { TokenService, bearerToken, checkPassword, hashPassword } from '@parley/auth';
import { DomainError } from '@parley/domain';

const secret = 's'.repeat(40);

describe('passwords', () => {
  it('stores only a salted argon2id hash and checks it', async () => {
    const first = await hashPassword('correct horse');
    const second = await hashPassword('correct horse');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toContain('correct horse');
    expect(first).not.toBe(second); // salted
    expect(await checkPassword(first, 'correct horse')).toBe(true);
    expect(await checkPassword(first, 'wrong horse')).toBe(false);
    expect(await checkPassword('not a hash', 'x')).toBe(false);
  });

  it('does the work of a check for an unknown user and answers no', async () => {
    await checkPassword(undefined, 'warm-up');
    const started = performance.now();
    expect(await checkPassword(undefined, 'anything')).toBe(false);
    // argon2id with these parameters cannot finish in under a millisecond; a shortcut would.
    expect(performance.now() - started).toBeGreaterThan(1);
  });
});

describe('TokenService', () => {
  const tokens = new TokenService(secret, 3600);
  const code = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'accepted';
    } catch (error) {
      return error instanceof DomainError ? `${error.kind}:${error.code}` : 'other';
    }
  };

  it('issues a token whose subject is the user id, valid until it expires', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { token, expiresAt } = await tokens.issue('user-1', now);
    expect(expiresAt.toISOString()).toBe('2026-01-01T01:00:00.000Z');
    expect(await tokens.verify(token, new Date('2026-01-01T00:59:00Z'))).toBe('user-1');
    expect(await code(tokens.verify(token, new Date('2026-01-01T01:00:01Z')))).toBe(
      'unauthenticated:TOKEN_EXPIRED',
    );
  });

  it('refuses missing, forged and foreign tokens', async () => {
    const { token } = await tokens.issue('user-1');
    expect(await code(tokens.verify(undefined))).toBe('unauthenticated:TOKEN_MISSING');
    expect(await code(tokens.verify(`${token.slice(0, -2)}xx`))).toBe('unauthenticated:TOKEN_INVALID');
    expect(await code(new TokenService('t'.repeat(40)).verify(token))).toBe('unauthenticated:TOKEN_INVALID');
    expect(await code(tokens.verify('not.a.jwt'))).toBe('unauthenticated:TOKEN_INVALID');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"admin","iss":"parley"}').toString('base64url')}.`;
    expect(await code(tokens.verify(unsigned))).toBe('unauthenticated:TOKEN_INVALID');
    const noSubject = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley')
      .sign(new TextEncoder().encode(secret));
    expect(await code(tokens.verify(noSubject))).toBe('unauthenticated:TOKEN_INVALID');
  });

  it('reads bearer tokens from headers', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
