import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { DomainError, UnavailableError } from '@parley/domain';
import { githubProfile, oidcProfile, yandexProfile } from './profiles';
import { providerFailure } from './provider-errors';

describe('provider profiles', () => {
  it('given OpenID Connect claims, then the subject is sub and only email_verified true makes the email verified', () => {
    expect(
      oidcProfile('google', { sub: 'g-1', email: 'Ada@Example.com', email_verified: true, name: 'Ada L' }),
    ).toEqual({
      provider: 'google',
      subject: 'g-1',
      email: 'ada@example.com',
      emailVerified: true,
      displayName: 'Ada L',
      usernameHints: ['Ada@Example.com', 'Ada L'],
    });
    expect(oidcProfile('x', { sub: 's', email: 'a@b.c' }).emailVerified).toBe(false);
    expect(oidcProfile('x', { sub: 's', email: 'a@b.c', email_verified: 'false' }).emailVerified).toBe(false);
    // userinfo completes the ID token; the ID token's own claims win.
    expect(oidcProfile('x', { sub: 's' }, { sub: 's', preferred_username: 'ada' }).usernameHints).toEqual([
      'ada',
    ]);
    expect(() => oidcProfile('x', { email: 'a@b.c' })).toThrow(TypeError);
  });

  it('given GitHub’s user and emails, then the subject is the numeric id and the primary address counts only if verified', () => {
    const user = { id: 583231, login: 'octocat', name: 'The Octocat', email: null };
    expect(
      githubProfile('github', user, [
        { email: 'other@example.com', primary: false, verified: true },
        { email: 'Octo@Example.com', primary: true, verified: true },
      ]),
    ).toEqual({
      provider: 'github',
      subject: '583231',
      email: 'octo@example.com',
      emailVerified: true,
      displayName: 'The Octocat',
      usernameHints: ['octocat', 'Octo@Example.com', 'The Octocat'],
    });
    expect(
      githubProfile('github', user, [{ email: 'o@e.com', primary: true, verified: false }]).emailVerified,
    ).toBe(false);
    expect(githubProfile('github', { id: 1, login: 'a', email: 'pub@e.com' }, 'not a list')).toMatchObject({
      email: 'pub@e.com',
      emailVerified: false,
    });
  });

  it('given Yandex’s user information, then its address never counts as verified', () => {
    expect(
      yandexProfile('yandex', {
        id: '1000',
        login: 'ivan',
        default_email: 'ivan@yandex.ru',
        real_name: 'Ivan I',
      }),
    ).toEqual({
      provider: 'yandex',
      subject: '1000',
      email: 'ivan@yandex.ru',
      emailVerified: false,
      displayName: 'Ivan I',
      usernameHints: ['ivan', 'ivan@yandex.ru'],
    });
  });
});

describe('providerFailure', () => {
  const codeOf = (error: Error) => (error instanceof DomainError ? error.code : error.constructor.name);

  it('maps a refused code, a denied consent, a nonce and an issuer mismatch to refusals; the rest to UNAVAILABLE', () => {
    const bodyError = Object.assign(new Error('x'), { name: 'ResponseBodyError', error: 'invalid_grant' });
    expect(codeOf(providerFailure('P', bodyError))).toBe('CODE_REJECTED');
    expect(
      codeOf(
        providerFailure('P', { ...bodyError, name: 'ResponseBodyError', error: 'bad_verification_code' }),
      ),
    ).toBe('CODE_REJECTED');
    const denied = Object.assign(new Error('x'), {
      name: 'AuthorizationResponseError',
      error: 'access_denied',
    });
    expect(codeOf(providerFailure('P', denied))).toBe('PROVIDER_DENIED');
    const claim = (name: string) =>
      Object.assign(new Error('x'), {
        code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
        cause: Object.assign(new Error('y'), { cause: { claim: name } }),
      });
    expect(codeOf(providerFailure('P', claim('nonce')))).toBe('NONCE_MISMATCH');
    expect(codeOf(providerFailure('P', claim('iss')))).toBe('ISSUER_MISMATCH');
    expect(codeOf(providerFailure('P', claim('aud')))).toBe('ID_TOKEN_INVALID');
    expect(providerFailure('P', new TypeError('fetch failed'))).toBeInstanceOf(UnavailableError);
  });
});

describe('openid-client under jest', () => {
  it('loads (an ES module, turned into CommonJS for jest) and computes PKCE challenges as RFC 7636 says', async () => {
    const verifier = client.randomPKCECodeVerifier();
    expect(await client.calculatePKCECodeChallenge(verifier)).toBe(
      createHash('sha256').update(verifier).digest('base64url'),
    );
  });
});
