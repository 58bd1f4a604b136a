// Sign-in with a provider over HTTP: the public routes the browser goes through (the provider list,
// start, callback, and the web app's exchange of the one-time result), and the signed-in account's
// own routes (its identities, linking, unlinking, setting a password).
import { Router, type Request, type Response } from 'express';
import {
  SIGN_IN_LIFETIMES,
  type BrowserStep,
  type ProviderAccounts,
  type ProviderSignIn,
} from '@parley/accounts';
import { asObject, clientAddressKey } from '@parley/domain';
import { userOf } from './messaging-routes';

export interface ProviderRoutesDeps {
  readonly signIn: ProviderSignIn;
  readonly accounts: ProviderAccounts;
  /** Secure cookies when browsers reach Parley over https (PUBLIC_BASE_URL). */
  readonly secureCookies: boolean;
}

/**
 * The cookie that binds a sign-in to the browser that started it: it holds the flow's state, and
 * the callback must bring the same state back (a callback played into another browser fails). Lax:
 * the provider's redirect back is a top-level GET navigation, which carries it.
 */
export const SIGN_IN_COOKIE = 'parley_sign_in';
/**
 * The link intent, set by the (same-origin, bearer-authenticated) link-intent call: the start with
 * `link` must find the same intent here, so a start URL opened in another browser links nothing.
 */
export const LINK_COOKIE = 'parley_link';
/**
 * The token binding a handed-out result to the browser it landed in: the exchange must bring it,
 * so a landing URL with someone else's result signs nobody in (login CSRF).
 */
export const RESULT_COOKIE = 'parley_result';
const COOKIE_PATH = '/v1/auth/';

/** A sign-in cookie (HttpOnly, Lax: the provider's redirect back is a top-level GET); '' and 0 clear it. */
function authCookie(name: string, value: string, maxAgeMs: number, secure: boolean): string {
  return [
    `${name}=${value}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${Math.floor(maxAgeMs / 1000)}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

const signInClient = (req: Request) => ({ address: clientAddressKey(req.ip) });

/** The query string as the provider sent it ('' or '?...'). */
const queryOf = (req: Request) => {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? '' : req.originalUrl.slice(at);
};

/** Public: mounted ahead of the bearer-token check. */
export function providerSignInRoutes(deps: ProviderRoutesDeps): Router {
  const router = Router();
  const cookie = (name: string, value: string, maxAgeMs: number) =>
    authCookie(name, value, maxAgeMs, deps.secureCookies);
  /** The cookies of a step: its flow's state or its result's binding (and whatever it clears). */
  const stepCookies = (step: BrowserStep, clear: string[]) => [
    ...clear.map((name) => cookie(name, '', 0)),
    ...(step.state ? [cookie(SIGN_IN_COOKIE, step.state, SIGN_IN_LIFETIMES.flowMs)] : []),
    ...(step.resultBinding ? [cookie(RESULT_COOKIE, step.resultBinding, SIGN_IN_LIFETIMES.resultMs)] : []),
  ];
  // Nothing of a sign-in step may be cached, nor its address passed on as a referrer.
  const noStore = (res: Response) =>
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });

  router.get('/auth/providers', (_req, res) => {
    res.json({ providers: deps.signIn.list() });
  });

  router.get('/auth/:provider/start', async (req: Request, res: Response) => {
    const link =
      typeof req.query.link === 'string' ? req.query.link : req.query.link === undefined ? undefined : '';
    const step = await deps.signIn.start(
      String(req.params.provider),
      link,
      cookieValue(req, LINK_COOKIE),
      signInClient(req),
    );
    noStore(res);
    // A link intent's cookie is used up by its start (whether it matched or not).
    const cookies = stepCookies(step, link === undefined ? [] : [LINK_COOKIE]);
    if (cookies.length > 0) res.set('Set-Cookie', cookies);
    res.status(303).location(step.location).end();
  });

  router.get('/auth/:provider/callback', async (req: Request, res: Response) => {
    const step = await deps.signIn.callback(
      String(req.params.provider),
      queryOf(req),
      cookieValue(req, SIGN_IN_COOKIE),
      signInClient(req),
    );
    noStore(res);
    res.set('Set-Cookie', stepCookies(step, [SIGN_IN_COOKIE]));
    res.status(303).location(step.location).end();
  });

  router.post('/auth/exchange', async (req: Request, res: Response) => {
    noStore(res);
    // The binding is good for one exchange: cleared whatever the answer.
    res.set('Set-Cookie', cookie(RESULT_COOKIE, '', 0));
    res.json(await deps.signIn.exchange(req.body, cookieValue(req, RESULT_COOKIE)));
  });
  return router;
}

/** The signed-in account's ways of signing in: mounted behind the bearer-token check. */
export function accountIdentityRoutes(deps: ProviderRoutesDeps): Router {
  const router = Router();

  router.get('/me/identities', async (_req, res: Response) => {
    const { identities, password } = await deps.accounts.identities(userOf(res));
    res.json({
      identities: identities.map((identity) => ({
        ...identity,
        name: deps.signIn.nameOf(identity.provider),
      })),
      password,
    });
  });

  router.post('/me/identities/:provider/link-intent', async (req: Request, res: Response) => {
    const { intent, ...answer } = await deps.signIn.linkIntent(userOf(res), String(req.params.provider));
    res.set(
      'Set-Cookie',
      authCookie(LINK_COOKIE, intent, SIGN_IN_LIFETIMES.linkIntentMs, deps.secureCookies),
    );
    res.status(201).json(answer);
  });

  router.delete('/me/identities/:provider', async (req: Request, res: Response) => {
    await deps.accounts.unlink(userOf(res), String(req.params.provider));
    res.status(204).end();
  });

  router.put('/me/password', async (req: Request, res: Response) => {
    await deps.accounts.setPassword(userOf(res), asObject(req.body));
    res.status(204).end();
  });
  return router;
}
