/** Who the provider says the person is, after the protocol's checks (state, PKCE, nonce, issuer). */
export interface ProviderProfile {
  /** The provider's id as configured (`google`, `github`, `yandex`, or an OIDC_<ID>'s id). */
  readonly provider: string;
  /** The provider's stable id of the person (OpenID Connect `sub`, GitHub's numeric id): never an email. */
  readonly subject: string;
  /** Lower-cased; absent when the provider gave none. */
  readonly email?: string;
  /** Whether the provider said it verified `email`. */
  readonly emailVerified: boolean;
  /** Names to derive a username from, best first. */
  readonly usernameHints: readonly string[];
  readonly displayName?: string;
}

/** The secrets of one sign-in attempt, kept on the server between the start and the callback. */
export interface FlowSecrets {
  readonly state: string;
  /** OpenID Connect only: the ID token must carry it back. */
  readonly nonce: string;
  /** PKCE: its S256 hash goes to the provider, the verifier itself only to its token endpoint. */
  readonly codeVerifier: string;
}

/** One configured provider, as the sign-in flow uses it. */
export interface SignInProvider {
  readonly id: string;
  readonly name: string;
  /** Where to send the browser: the provider's authorization endpoint with this attempt's checks. */
  authorizationUrl(secrets: FlowSecrets, redirectUri: string): Promise<URL>;
  /**
   * Checks the provider's answer at `callbackUrl` (the redirect URI with the provider's query),
   * redeems its code (with the PKCE verifier) and reads who signed in. Refusals are DomainErrors
   * (STATE_MISMATCH, NONCE_MISMATCH, ISSUER_MISMATCH, CODE_REJECTED, PROVIDER_DENIED,
   * ID_TOKEN_INVALID) or an UnavailableError when the provider cannot be used right now.
   */
  complete(callbackUrl: URL, secrets: FlowSecrets): Promise<ProviderProfile>;
}
