import * as client from 'openid-client';
import type { OidcProviderSettings } from '@parley/config';
import { DomainError } from '@parley/domain';
import type { Logger } from '@parley/logging';
import { oidcProfile } from './profiles';
import { providerFailure } from './provider-errors';
import type { FlowSecrets, ProviderProfile, SignInProvider } from './sign-in-provider';

/** Seconds each request to a provider may take. */
export const PROVIDER_TIMEOUT_SECONDS = 10;

/** http:// is accepted only for a provider on this machine (the settings refuse it elsewhere). */
export const isLocalHttp = (url: string): boolean => new URL(url).protocol === 'http:';

/**
 * The `iss` of the callback (RFC 9207), when the provider sent one, must be the configured issuer:
 * another one is a mix-up (the answer of another provider played to this callback).
 */
export function checkCallbackIssuer(callbackUrl: URL, issuer: string, providerName: string): void {
  const iss = callbackUrl.searchParams.get('iss');
  if (iss !== null && iss !== issuer)
    throw new DomainError(
      'invalid',
      'ISSUER_MISMATCH',
      `the answer names another issuer than ${providerName}'s configured one`,
    );
}

/**
 * Any OpenID Connect provider, through openid-client: discovery of its metadata (once, and again
 * after a failure), authorization code flow with PKCE (S256), state and nonce, the ID token checked
 * (signature, issuer, audience, nonce, times), then the userinfo endpoint for the profile claims.
 */
export class OidcSignInProvider implements SignInProvider {
  readonly id: string;
  readonly name: string;
  private discovered: Promise<client.Configuration> | undefined;

  constructor(
    private readonly settings: OidcProviderSettings,
    private readonly logger?: Logger,
  ) {
    this.id = settings.id;
    this.name = settings.name;
  }

  async authorizationUrl(secrets: FlowSecrets, redirectUri: string): Promise<URL> {
    const config = await this.configuration();
    return client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.settings.scopes.join(' '),
      state: secrets.state,
      nonce: secrets.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(secrets.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  async complete(callbackUrl: URL, secrets: FlowSecrets): Promise<ProviderProfile> {
    const config = await this.configuration();
    try {
      checkCallbackIssuer(callbackUrl, config.serverMetadata().issuer, this.name);
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: secrets.codeVerifier,
        expectedState: secrets.state,
        expectedNonce: secrets.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new DomainError('invalid', 'ID_TOKEN_INVALID', `${this.name} sent no ID token`);
      const userInfo = config.serverMetadata().userinfo_endpoint
        ? await client.fetchUserInfo(config, tokens.access_token, claims.sub)
        : {};
      return oidcProfile(this.id, claims, userInfo);
    } catch (error) {
      throw this.failure(error);
    }
  }

  private configuration(): Promise<client.Configuration> {
    this.discovered ??= client
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        this.settings.clientSecret,
        // The default of OpenID Connect (and Google's, Keycloak's...): the secret in Basic auth.
        this.settings.clientSecret ? client.ClientSecretBasic(this.settings.clientSecret) : client.None(),
        {
          timeout: PROVIDER_TIMEOUT_SECONDS,
          ...(isLocalHttp(this.settings.issuer) ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      .catch((error: unknown) => {
        // Discovered again by the next attempt (the provider may be back, or fixed).
        this.discovered = undefined;
        this.logger?.error(
          { err: error, provider: this.id, issuer: this.settings.issuer },
          'OpenID Connect discovery failed (is the issuer right, and does its document name the same issuer?)',
        );
        throw this.failure(error);
      });
    return this.discovered;
  }

  private failure(error: unknown): Error {
    const mapped = providerFailure(this.name, error);
    if (!(mapped instanceof DomainError))
      this.logger?.warn({ err: error, provider: this.id }, 'provider sign-in failed on the provider side');
    return mapped;
  }
}
