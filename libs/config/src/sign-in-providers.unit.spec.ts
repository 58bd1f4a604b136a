import { ConfigError, loadConfig, parseSignInProviders } from '@parley/config';

const SECRET = 'x'.repeat(40);
const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig({ JWT_SECRET: SECRET, ...env }, { jwtSecret: 'required' });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('sign-in providers from the environment', () => {
  it('given no provider variable, then there is no provider and the public base URL follows GATEWAY_PORT', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, GATEWAY_PORT: '9000' }, { jwtSecret: 'required' });
    expect(config.signIn).toMatchObject({
      providers: [],
      publicBaseUrl: 'http://127.0.0.1:9000',
      mergeVerifiedEmail: false,
      perAddress: { capacity: 30, refillPerSecond: 0.5 },
    });
  });

  it('given OIDC_<ID>_* and the presets, then each becomes a provider, presets first, with its defaults', () => {
    const { providers, problems } = parseSignInProviders({
      OIDC_KEYCLOAK_ISSUER: 'https://sso.example.com/realms/main',
      OIDC_KEYCLOAK_CLIENT_ID: 'parley',
      OIDC_KEYCLOAK_CLIENT_SECRET: 's3cret',
      OIDC_KEYCLOAK_NAME: 'Example SSO',
      OIDC_DEV_ISSUER: 'http://127.0.0.1:9000',
      OIDC_DEV_CLIENT_ID: 'dev',
      OIDC_DEV_SCOPES: 'openid email',
      GOOGLE_CLIENT_ID: 'g-id',
      GOOGLE_CLIENT_SECRET: 'g-secret',
      GITHUB_CLIENT_ID: 'gh-id',
      GITHUB_CLIENT_SECRET: 'gh-secret',
      YANDEX_CLIENT_ID: 'y-id',
      YANDEX_CLIENT_SECRET: 'y-secret',
    });
    expect(problems).toEqual([]);
    expect(providers.map((p) => [p.id, p.kind, p.name])).toEqual([
      ['google', 'oidc', 'Google'],
      ['yandex', 'yandex', 'Yandex'],
      ['github', 'github', 'GitHub'],
      ['dev', 'oidc', 'Dev'],
      ['keycloak', 'oidc', 'Example SSO'],
    ]);
    expect(providers[0]).toMatchObject({
      issuer: 'https://accounts.google.com',
      scopes: ['openid', 'email', 'profile'],
    });
    expect(providers[2]).toMatchObject({ webUrl: 'https://github.com', apiUrl: 'https://api.github.com' });
    expect(providers[3]).toMatchObject({ scopes: ['openid', 'email'] });
    expect(providers[3]).not.toHaveProperty('clientSecret');
  });

  it('given GitHub Enterprise Server (GITHUB_URL), then its API is under /api/v3 unless GITHUB_API_URL says otherwise', () => {
    const env = { GITHUB_CLIENT_ID: 'a', GITHUB_CLIENT_SECRET: 'b', GITHUB_URL: 'https://git.example.com/' };
    expect(parseSignInProviders(env).providers[0]).toMatchObject({
      webUrl: 'https://git.example.com',
      apiUrl: 'https://git.example.com/api/v3',
    });
  });

  it('given half-set, unknown, insecure or doubled settings, then each is named, and no client secret is shown', () => {
    const problems = problemsOf({
      OIDC_A_ISSUER: 'https://a.example.com',
      OIDC_B_CLIENT_ID: 'b',
      OIDC_C_ISSUER: 'http://idp.example.com',
      OIDC_C_CLIENT_ID: 'c',
      OIDC_D_ISSUER: 'https://d.example.com',
      OIDC_D_CLIENT_ID: 'd',
      OIDC_D_SCOPES: 'email profile',
      OIDC_E_ISUER: 'https://typo.example.com',
      GOOGLE_CLIENT_ID: 'g',
      OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
      OIDC_GOOGLE_CLIENT_ID: 'g2',
      GITHUB_CLIENT_SECRET: 'top-secret-value',
      PUBLIC_BASE_URL: 'https://chat.example.com/app',
      PROVIDER_MERGE_VERIFIED_EMAIL: 'yes',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      [
        'GITHUB_CLIENT_ID',
        'GOOGLE_CLIENT_SECRET',
        'OIDC_A_CLIENT_ID',
        'OIDC_B_ISSUER',
        'OIDC_C_ISSUER',
        'OIDC_D_SCOPES',
        'OIDC_E_ISUER',
        'PROVIDER_MERGE_VERIFIED_EMAIL',
        'PUBLIC_BASE_URL',
      ].sort(),
    );
    expect(problems.join('\n')).not.toContain('top-secret-value');
  });

  it('given a preset and OIDC_<ID>_* of the same id, then it is refused as configured twice', () => {
    const { problems } = parseSignInProviders({
      GOOGLE_CLIENT_ID: 'g',
      GOOGLE_CLIENT_SECRET: 's',
      OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
      OIDC_GOOGLE_CLIENT_ID: 'g2',
    });
    expect(problems).toEqual([
      'OIDC_GOOGLE_ISSUER: google is configured twice (by GOOGLE_CLIENT_ID too): keep one',
    ]);
  });

  it('given the services that sign no tokens, then they hold no provider secret', () => {
    const config = loadConfig({ GOOGLE_CLIENT_ID: 'g', GOOGLE_CLIENT_SECRET: 'very-secret' });
    expect(JSON.stringify(config)).not.toContain('very-secret');
  });
});
