import { DomainError, UnavailableError, asObject } from '@parley/domain';
import type { SignInProvider } from '@parley/identity-providers';
import type { Logger } from '@parley/logging';
import type { SignInClient } from './account-service';
import type { ProviderAccounts, ProviderSession } from './provider-accounts';
import { SignInFlows, isRandomToken, randomToken, tokenHash, type StoredResult } from './sign-in-flows';
import type { SignInThrottle } from './sign-in-throttle';

export interface ProviderSignInDeps {
  readonly providers: readonly SignInProvider[];
  readonly flows: SignInFlows;
  readonly accounts: ProviderAccounts;
  /** Where browsers reach Parley (PUBLIC_BASE_URL): callback URLs and the web app's landing. */
  readonly publicBaseUrl: string;
  readonly throttle?: SignInThrottle;
  readonly logger?: Logger;
}

/**
 * Where the browser goes next, and the flow's state for the browser-binding cookie if one began,
 * or the token binding the handed-out result to this browser (the exchange wants it back).
 */
export interface BrowserStep {
  readonly location: string;
  readonly state?: string;
  readonly resultBinding?: string;
}

const expired = (what: string) => new DomainError('invalid', 'SIGN_IN_EXPIRED', `${what}: sign in again`);

/** The web app's page that takes a finished sign-in (fixed: never a URL the request names). */
export const LANDING_PATH = '/auth/callback';

/**
 * Sign-in with a provider, as the browser goes through it: `start` sends it to the provider (the
 * flow's state, nonce and PKCE verifier stay in Redis; the browser gets the state in a cookie),
 * `callback` checks the provider's answer against both and signs in, then hands the web app a
 * one-time result id in the landing URL's fragment (never the token in a URL: fragments reach
 * no server log), and `exchange` answers that id once with the session or the refusal.
 */
export class ProviderSignIn {
  private readonly byId: ReadonlyMap<string, SignInProvider>;

  constructor(private readonly deps: ProviderSignInDeps) {
    this.byId = new Map(deps.providers.map((provider) => [provider.id, provider]));
  }

  /** The configured providers, for the sign-in screen's buttons. */
  list(): { id: string; name: string }[] {
    return this.deps.providers.map(({ id, name }) => ({ id, name }));
  }

  nameOf(id: string): string {
    return this.byId.get(id)?.name ?? id;
  }

  /** A configured provider, or NOT_FOUND. */
  provider(id: string): SignInProvider {
    const provider = this.byId.get(id);
    if (!provider)
      throw new DomainError('not_found', 'NOT_FOUND', `no sign-in provider "${id}" is configured`);
    return provider;
  }

  redirectUri(providerId: string): string {
    return `${this.deps.publicBaseUrl}/v1/auth/${providerId}/callback`;
  }

  /**
   * Begins a sign-in (or, with a link intent, the linking of the provider to that account).
   * `cookieLink` is the intent this browser's link cookie holds: the link-intent call set it, so
   * a start URL opened in another browser (a victim's, lured there) links nothing.
   */
  async start(
    providerId: string,
    link: unknown,
    cookieLink: string | undefined,
    client: SignInClient,
  ): Promise<BrowserStep> {
    const provider = this.provider(providerId);
    try {
      await this.deps.throttle?.providerSignIn(client.address);
      let linkUserId: string | undefined;
      if (link !== undefined) {
        if (!isRandomToken(cookieLink) || cookieLink !== link)
          throw new DomainError(
            'invalid',
            'STATE_MISMATCH',
            'this link request was made in another browser: ask to link again from Parley in this browser',
          );
        const intent = isRandomToken(link) ? await this.deps.flows.takeLinkIntent(link) : undefined;
        if (!intent || intent.provider !== providerId)
          throw expired('this link request has expired or was used');
        linkUserId = intent.userId;
      }
      const secrets = { state: randomToken(), nonce: randomToken(), codeVerifier: randomToken() };
      const url = await provider.authorizationUrl(secrets, this.redirectUri(providerId));
      await this.deps.flows.begin({
        ...secrets,
        provider: providerId,
        ...(linkUserId ? { linkUserId } : {}),
      });
      return { location: url.toString(), state: secrets.state };
    } catch (error) {
      return this.landing(this.refusal(error, providerId));
    }
  }

  /**
   * The provider's redirect back. `query` is the callback's query string as received; `cookieState`
   * the state this browser's cookie holds (a callback in another browser has none).
   */
  async callback(
    providerId: string,
    query: string,
    cookieState: string | undefined,
    client: SignInClient,
  ): Promise<BrowserStep> {
    const provider = this.provider(providerId);
    let result: StoredResult;
    try {
      await this.deps.throttle?.providerSignIn(client.address);
      const callbackUrl = new URL(`${this.redirectUri(providerId)}${query}`);
      const state = callbackUrl.searchParams.get('state');
      if (!isRandomToken(cookieState))
        throw expired('this browser has no sign-in in progress (it began in another browser, or long ago)');
      if (state !== cookieState)
        throw new DomainError(
          'invalid',
          'STATE_MISMATCH',
          'the answer is not for this sign-in (state mismatch): sign in again',
        );
      const flow = await this.deps.flows.take(state);
      if (!flow) throw expired('this sign-in has expired or was finished already');
      if (flow.provider !== providerId)
        throw new DomainError('invalid', 'STATE_MISMATCH', 'the answer came to another provider’s callback');
      const profile = await provider.complete(callbackUrl, flow);
      const session = await this.deps.accounts.signIn(
        profile,
        flow.linkUserId ? { kind: 'link', userId: flow.linkUserId } : { kind: 'sign-in' },
      );
      result = { ok: true, session: { ...session } };
    } catch (error) {
      result = this.refusal(error, providerId);
    }
    return this.landing(result);
  }

  /**
   * The session (or the refusal) of a finished sign-in, once, and only to the browser it was
   * handed to: `cookieBinding` is that browser's binding cookie (a landing URL with someone
   * else's result, opened in a victim's browser, signs the victim in as nobody). The result is
   * taken either way.
   */
  async exchange(input: unknown, cookieBinding: string | undefined): Promise<ProviderSession> {
    const { result: id } = asObject(input);
    const bound = isRandomToken(id) ? await this.deps.flows.takeResult(id) : undefined;
    if (!bound) throw expired('this sign-in result has expired or was taken already');
    if (!isRandomToken(cookieBinding) || tokenHash(cookieBinding) !== bound.browser)
      throw new DomainError(
        'invalid',
        'STATE_MISMATCH',
        'this sign-in finished in another browser: sign in again in this one',
      );
    const { result } = bound;
    if (result.ok) return result.session as unknown as ProviderSession;
    if (result.kind === 'unavailable')
      throw new UnavailableError(result.message, result.retryAfterMs ?? 1_000);
    if (result.kind === 'internal') throw new Error(result.message);
    throw new DomainError(
      result.kind as DomainError['kind'],
      result.code,
      result.message,
      result.retryAfterMs === undefined ? undefined : { retryAfterMs: result.retryAfterMs },
    );
  }

  /**
   * A short-lived, one-time intent for a signed-in account to link `providerId`; `intent` is for
   * the caller's browser cookie (the start wants it back), not for the answer's body.
   */
  async linkIntent(
    userId: string,
    providerId: string,
  ): Promise<{ startUrl: string; expiresAt: string; intent: string }> {
    this.provider(providerId);
    const { intent, expiresAt } = await this.deps.flows.createLinkIntent(userId, providerId);
    return {
      startUrl: `${this.deps.publicBaseUrl}/v1/auth/${providerId}/start?link=${intent}`,
      expiresAt: expiresAt.toISOString(),
      intent,
    };
  }

  /** Keeps the result for this browser alone and sends the browser to the web app's landing. */
  private async landing(result: StoredResult): Promise<BrowserStep> {
    const resultBinding = randomToken();
    const id = await this.deps.flows.saveResult(result, tokenHash(resultBinding));
    return { location: `${this.deps.publicBaseUrl}${LANDING_PATH}#result=${id}`, resultBinding };
  }

  /** A failure as a result the exchange raises again; internal details stay in the log. */
  private refusal(error: unknown, provider: string): StoredResult {
    if (error instanceof DomainError) {
      const retryAfterMs = error.details?.retryAfterMs;
      return {
        ok: false,
        kind: error.kind,
        code: error.code,
        message: error.message,
        ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
      };
    }
    if (error instanceof UnavailableError)
      return {
        ok: false,
        kind: 'unavailable',
        code: error.code,
        message: error.message,
        retryAfterMs: error.retryAfterMs,
      };
    this.deps.logger?.error({ err: error, provider }, 'provider sign-in failed');
    return { ok: false, kind: 'internal', code: 'INTERNAL', message: 'provider sign-in failed' };
  }
}
