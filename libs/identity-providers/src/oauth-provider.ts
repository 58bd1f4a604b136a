import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import type { GitHubProviderSettings, YandexProviderSettings } from '@parley/config';
import { DomainError } from '@parley/domain';
import type { Logger } from '@parley/logging';
import { isLocalHttp, PROVIDER_TIMEOUT_SECONDS } from './oidc-provider';
import { githubProfile, yandexProfile } from './profiles';
import { providerFailure } from './provider-errors';
import type { FlowSecrets, ProviderProfile, SignInProvider } from './sign-in-provider';

type Json = Readonly<Record<string, unknown>>;

/** Reads who signed in through the provider's own user API, with its access token. */
type ReadProfile = (
  accessToken: string,
  get: (url: string, authorization: string) => Promise<unknown>,
) => Promise<ProviderProfile>;

interface OAuthEndpoints {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

/**
 * A plain OAuth 2 provider (no ID token): authorization code flow with PKCE (S256) and state through
 * openid-client, then the provider's user API. GitHub and Yandex ID are such providers.
 */
export class OAuthSignInProvider implements SignInProvider {
  private readonly config: client.Configuration;

  constructor(
    readonly id: string,
    readonly name: string,
    clientSecret: string,
    private readonly scopes: readonly string[],
    endpoints: OAuthEndpoints,
    clientId: string,
    private readonly readProfile: ReadProfile,
    private readonly logger?: Logger,
  ) {
    this.config = new client.Configuration(
      {
        issuer: endpoints.issuer,
        authorization_endpoint: endpoints.authorizationEndpoint,
        token_endpoint: endpoints.tokenEndpoint,
      },
      clientId,
      clientSecret,
      client.ClientSecretPost(clientSecret),
    );
    this.config.timeout = PROVIDER_TIMEOUT_SECONDS;
    this.config[client.customFetch] = errorBodiesAsErrors(endpoints.tokenEndpoint);
    if (isLocalHttp(endpoints.tokenEndpoint)) client.allowInsecureRequests(this.config);
  }

  authorizationUrl(secrets: FlowSecrets, redirectUri: string): Promise<URL> {
    return Promise.resolve(
      client.buildAuthorizationUrl(this.config, {
        redirect_uri: redirectUri,
        scope: this.scopes.join(' '),
        state: secrets.state,
        code_challenge: challengeOf(secrets.codeVerifier),
        code_challenge_method: 'S256',
      }),
    );
  }

  async complete(callbackUrl: URL, secrets: FlowSecrets): Promise<ProviderProfile> {
    try {
      const tokens = await client.authorizationCodeGrant(this.config, callbackUrl, {
        pkceCodeVerifier: secrets.codeVerifier,
        expectedState: secrets.state,
      });
      return await this.readProfile(tokens.access_token, (url, authorization) => getJson(url, authorization));
    } catch (error) {
      const mapped = providerFailure(this.name, error);
      if (!(mapped instanceof DomainError))
        this.logger?.warn({ err: error, provider: this.id }, 'provider sign-in failed on the provider side');
      throw mapped;
    }
  }
}

/** The PKCE S256 challenge (RFC 7636), computed synchronously (openid-client's is async, for Web Crypto). */
const challengeOf = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');

async function getJson(url: string, authorization: string): Promise<unknown> {
  const response = await fetch(url, {
    headers: { authorization, accept: 'application/json', 'user-agent': 'Parley' },
    signal: AbortSignal.timeout(PROVIDER_TIMEOUT_SECONDS * 1000),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

/**
 * GitHub's token endpoint answers a refused code with 200 and `{"error": ...}`; as the OAuth
 * standard's 400 it becomes the usual ResponseBodyError (a bad code: CODE_REJECTED).
 */
function errorBodiesAsErrors(tokenEndpoint: string): client.CustomFetch {
  return async (url, options) => {
    // openid-client's options are fetch's (its FetchBody is a BodyInit); @types/node's RequestInit
    // does not list Uint8Array, so tsc wants the assertion that type-aware lint calls unnecessary.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    const response = await fetch(url, options as RequestInit);
    if (url !== tokenEndpoint || response.status !== 200) return response;
    const body = (await response
      .clone()
      .json()
      .catch(() => undefined)) as Json | undefined;
    if (!body || typeof body.error !== 'string') return response;
    return new Response(JSON.stringify(body), {
      status: 400,
      headers: { 'content-type': 'application/json' },
    });
  };
}

export function gitHubSignInProvider(settings: GitHubProviderSettings, logger?: Logger): SignInProvider {
  return new OAuthSignInProvider(
    settings.id,
    settings.name,
    settings.clientSecret,
    settings.scopes,
    {
      issuer: settings.webUrl,
      authorizationEndpoint: `${settings.webUrl}/login/oauth/authorize`,
      tokenEndpoint: `${settings.webUrl}/login/oauth/access_token`,
    },
    settings.clientId,
    async (accessToken, get) => {
      const authorization = `Bearer ${accessToken}`;
      const user = (await get(`${settings.apiUrl}/user`, authorization)) as Json;
      const emails = await get(`${settings.apiUrl}/user/emails`, authorization).catch(() => []);
      return githubProfile(settings.id, user, emails);
    },
    logger,
  );
}

export function yandexSignInProvider(settings: YandexProviderSettings, logger?: Logger): SignInProvider {
  return new OAuthSignInProvider(
    settings.id,
    settings.name,
    settings.clientSecret,
    settings.scopes,
    {
      issuer: `${settings.oauthUrl}/`,
      authorizationEndpoint: `${settings.oauthUrl}/authorize`,
      tokenEndpoint: `${settings.oauthUrl}/token`,
    },
    settings.clientId,
    async (accessToken, get) =>
      yandexProfile(
        settings.id,
        (await get(`${settings.loginUrl}/info?format=json`, `OAuth ${accessToken}`)) as Json,
      ),
    logger,
  );
}
