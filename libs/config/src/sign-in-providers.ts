// Sign-in providers from the environment: any OpenID Connect provider as OIDC_<ID>_*, and presets for
// Google (OpenID Connect), Yandex and GitHub (OAuth 2 plus their user APIs). Provider ids are in the
// variables' names, so they are read apart from the fixed variables of config.ts.

/** What every provider kind shares. */
interface ProviderBase {
  /** The id in `/v1/auth/{id}/...` and on `IdentityLinked` events: lower-case letters and digits. */
  readonly id: string;
  /** The name the web app shows on its button. */
  readonly name: string;
  readonly clientId: string;
  /** Absent for a public OpenID Connect client (PKCE alone). */
  readonly clientSecret?: string;
  readonly scopes: readonly string[];
}

/** Any OpenID Connect provider, found through its discovery document (Google is one). */
export interface OidcProviderSettings extends ProviderBase {
  readonly kind: 'oidc';
  readonly issuer: string;
}

/** GitHub: OAuth 2 and its REST API (`GITHUB_URL` and `GITHUB_API_URL` for GitHub Enterprise Server). */
export interface GitHubProviderSettings extends ProviderBase {
  readonly kind: 'github';
  readonly clientSecret: string;
  readonly webUrl: string;
  readonly apiUrl: string;
}

/** Yandex ID: OAuth 2 and its user-information API (it publishes no OpenID Connect discovery). */
export interface YandexProviderSettings extends ProviderBase {
  readonly kind: 'yandex';
  readonly clientSecret: string;
  readonly oauthUrl: string;
  readonly loginUrl: string;
}

export type ProviderSettings = OidcProviderSettings | GitHubProviderSettings | YandexProviderSettings;

export const GOOGLE_ISSUER = 'https://accounts.google.com';
export const DEFAULT_OIDC_SCOPES = ['openid', 'email', 'profile'] as const;
const GITHUB_SCOPES = ['read:user', 'user:email'];
const YANDEX_SCOPES = ['login:info', 'login:email'];

const OIDC_VARIABLE = /^OIDC_([A-Z0-9]+)_(ISSUER|CLIENT_ID|CLIENT_SECRET|SCOPES|NAME)$/;
const PRESETS = ['GOOGLE', 'YANDEX', 'GITHUB'] as const;
/** Variables starting like a provider's that are not one of the above: a typo, refused. */
const PROVIDER_LIKE = /^(OIDC_|GOOGLE_CLIENT|YANDEX_CLIENT|GITHUB_CLIENT)/;

type Env = Readonly<Record<string, string | undefined>>;

/** Whether a variable holds a secret that no error message may show. */
export const isSecretVariable = (name: string): boolean => name.endsWith('_CLIENT_SECRET');

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An https URL, or an http one on this machine (a provider run locally for development and tests):
 * tokens and client secrets never cross a network in clear.
 */
export function checkProviderUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected an https:// URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'expected an https:// URL (http:// only for localhost or 127.0.0.1)';
}

const scopesOf = (value: string | undefined, fallback: readonly string[]) =>
  value === undefined ? [...fallback] : value.split(/[\s,]+/).filter((scope) => scope !== '');

const capitalised = (id: string) => id.charAt(0).toUpperCase() + id.slice(1);

/**
 * The configured providers, in a stable order (presets first, then by id), or the problems, each
 * starting with the variable it is about. A provider is configured by its client id; a half-set
 * provider is a problem, not a provider quietly left out.
 */
export function parseSignInProviders(env: Env): { providers: ProviderSettings[]; problems: string[] } {
  const problems: string[] = [];
  const providers: ProviderSettings[] = [];
  const custom = new Map<string, Map<string, string>>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    const match = OIDC_VARIABLE.exec(name);
    if (match) {
      const [, id = '', field = ''] = match;
      const fields = custom.get(id) ?? new Map<string, string>();
      fields.set(field, value);
      custom.set(id, fields);
    } else if (PROVIDER_LIKE.test(name) && !/^(GOOGLE|YANDEX|GITHUB)_CLIENT_(ID|SECRET)$/.test(name)) {
      problems.push(
        `${name}: unknown sign-in setting (expected OIDC_<ID>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _SCOPES, _NAME, or GOOGLE_/YANDEX_/GITHUB_CLIENT_ID and _CLIENT_SECRET)`,
      );
    }
  }

  for (const preset of PRESETS) {
    const clientId = env[`${preset}_CLIENT_ID`] || undefined;
    const clientSecret = env[`${preset}_CLIENT_SECRET`] || undefined;
    if (!clientId && !clientSecret) continue;
    if (!clientId || !clientSecret) {
      const missing = clientId ? `${preset}_CLIENT_SECRET` : `${preset}_CLIENT_ID`;
      problems.push(
        `${missing}: is not set: ${preset.toLowerCase()} sign-in needs both client id and secret`,
      );
      continue;
    }
    if (custom.has(preset)) {
      problems.push(
        `OIDC_${preset}_ISSUER: ${preset.toLowerCase()} is configured twice (by ${preset}_CLIENT_ID too): keep one`,
      );
      custom.delete(preset);
    }
    if (preset === 'GOOGLE') {
      providers.push({
        kind: 'oidc',
        id: 'google',
        name: 'Google',
        issuer: GOOGLE_ISSUER,
        clientId,
        clientSecret,
        scopes: [...DEFAULT_OIDC_SCOPES],
      });
    } else if (preset === 'YANDEX') {
      providers.push({
        kind: 'yandex',
        id: 'yandex',
        name: 'Yandex',
        clientId,
        clientSecret,
        scopes: YANDEX_SCOPES,
        oauthUrl: 'https://oauth.yandex.ru',
        loginUrl: 'https://login.yandex.ru',
      });
    } else {
      const webUrl = (env.GITHUB_URL || 'https://github.com').replace(/\/+$/, '');
      // GitHub Enterprise Server serves its REST API under /api/v3 of its own address.
      const defaultApi = webUrl === 'https://github.com' ? 'https://api.github.com' : `${webUrl}/api/v3`;
      const urls = { webUrl, apiUrl: env.GITHUB_API_URL || defaultApi };
      for (const [variable, value] of [
        ['GITHUB_URL', urls.webUrl],
        ['GITHUB_API_URL', urls.apiUrl],
      ] as const) {
        const problem = checkProviderUrl(value);
        if (problem) problems.push(`${variable}: ${problem} (got "${value}")`);
      }
      providers.push({
        kind: 'github',
        id: 'github',
        name: 'GitHub',
        clientId,
        clientSecret,
        scopes: GITHUB_SCOPES,
        webUrl: urls.webUrl.replace(/\/+$/, ''),
        apiUrl: urls.apiUrl.replace(/\/+$/, ''),
      });
    }
  }

  for (const [upperId, fields] of [...custom.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const issuer = fields.get('ISSUER');
    const clientId = fields.get('CLIENT_ID');
    const prefix = `OIDC_${upperId}_`;
    if (!issuer || !clientId) {
      const missing = issuer ? 'CLIENT_ID' : 'ISSUER';
      problems.push(`${prefix}${missing}: is not set: an OpenID Connect provider needs ISSUER and CLIENT_ID`);
      continue;
    }
    const problem = checkProviderUrl(issuer);
    if (problem) {
      problems.push(`${prefix}ISSUER: ${problem} (got "${issuer}")`);
      continue;
    }
    const id = upperId.toLowerCase();
    const clientSecret = fields.get('CLIENT_SECRET');
    providers.push({
      kind: 'oidc',
      id,
      name: fields.get('NAME') ?? capitalised(id),
      issuer,
      clientId,
      ...(clientSecret ? { clientSecret } : {}),
      scopes: scopesOf(fields.get('SCOPES'), DEFAULT_OIDC_SCOPES),
    });
  }
  for (const provider of providers)
    if (provider.kind === 'oidc' && !provider.scopes.includes('openid'))
      problems.push(`OIDC_${provider.id.toUpperCase()}_SCOPES: must include openid`);
  return { providers, problems };
}
