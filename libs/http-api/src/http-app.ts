import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AccountService } from '@parley/accounts';
import { bearerToken } from '@parley/auth';
import { asObject, clientAddressKey, parseClientId } from '@parley/domain';
import type { Logger } from '@parley/logging';
import type { PushService } from '@parley/push';
import { retryAfterHeader, toHttpError } from './error-mapping';
import { messagingRoutes, userOf, type MessagingRoutesDeps } from './messaging-routes';
import { GATEWAY_OPENAPI } from './openapi/gateway-openapi';
import { accountIdentityRoutes, providerSignInRoutes, type ProviderRoutesDeps } from './provider-routes';
import { pushRoutes } from './push-routes';

export interface HttpAppDeps {
  readonly accounts: AccountService;
  readonly messaging?: MessagingRoutesDeps;
  /** Sign-in with a provider, and the account's identities (absent: none of those routes). */
  readonly providers?: ProviderRoutesDeps;
  /** Web Push subscriptions and settings (`/v1/push/...`). */
  readonly push?: PushService;
  /** Told after an admin changed an account's status (the gateway ends that user's sessions). */
  readonly onAccountStatusChanged?: (userId: string, status: string) => Promise<void>;
  readonly logger?: Logger;
  /**
   * Runs ahead of the API: serves the operator endpoints (`/healthz`, `/readyz`, `/metrics`) and
   * observes requests (see @parley/observability's opsMiddleware).
   */
  readonly ops?: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  /**
   * Express's `trust proxy`: whose X-Forwarded-For to believe about the client's address, which
   * login and registration are limited by (default: nobody; the socket's address counts).
   */
  readonly trustProxy?: false | number | readonly string[];
  /**
   * Answers what no API route did, before the JSON 404: the gateway serves the built web app
   * (`serveWebApp`), which leaves `/v1` and the operator paths alone.
   */
  readonly webApp?: RequestHandler;
}

/** The client's address as sign-in limits count it (behind trusted proxies: what they forwarded). */
const signInClient = (req: Request) => ({ address: clientAddressKey(req.ip) });

/**
 * The client address of any request to the app's server, a WebSocket upgrade too, decided as the
 * routes decide `req.ip`: by the app's `trust proxy` (an IPv6 address counts by its /64).
 */
export function clientAddressOf(app: express.Express): (request: IncomingMessage) => string {
  return (request) => {
    // A view with express's request getters over the raw request: `ip` reads the headers and socket.
    const view = Object.create(app.request, {
      headers: { value: request.headers },
      socket: { value: request.socket },
    }) as Request;
    return clientAddressKey(view.ip);
  };
}

/** PROTOCOL §§1-2 over HTTP. Routes parse `unknown` input through the domain rules. */
export function createHttpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  if (deps.ops) app.use(deps.ops);
  app.use(express.json({ limit: '64kb' }));

  app.post('/v1/auth/register', async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.status(201).json(await deps.accounts.register(body, signInClient(req)));
  });

  app.post('/v1/auth/login', async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.json(await deps.accounts.login(body, signInClient(req)));
  });

  // Sign-in with a provider: the browser goes through these before it has a token.
  if (deps.providers) app.use('/v1', providerSignInRoutes(deps.providers));

  // The API's own description is public documentation (the routes it describes check tokens).
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(GATEWAY_OPENAPI);
  });

  // Everything else under /v1 needs a valid bearer token of an active account.
  app.use('/v1', async (req: Request, res: Response, next: NextFunction) => {
    res.locals.userId = await deps.accounts.authenticate(bearerToken(req.header('authorization')));
    next();
  });

  app.get('/v1/users/me', (_req, res) => {
    res.json({ userId: userOf(res) });
  });

  // Admins only (ADMIN_USER_IDS, ADMIN_USERNAMES): block, delete or reactivate an account.
  app.put('/v1/admin/users/:userId/status', async (req: Request, res: Response) => {
    const userId = parseClientId(req.params.userId, 'userId');
    const answer = await deps.accounts.changeStatus(userOf(res), userId, asObject(req.body));
    await deps.onAccountStatusChanged?.(userId, answer.status);
    res.json(answer);
  });

  if (deps.providers) app.use('/v1', accountIdentityRoutes(deps.providers));
  if (deps.messaging) app.use('/v1', messagingRoutes(deps.messaging));
  if (deps.push) app.use('/v1', pushRoutes(deps.push));
  if (deps.webApp) app.use(deps.webApp);

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) deps.logger?.error({ err: error, path: req.path }, 'request failed');
    res.status(status).set(retryAfterHeader(body)).json(body);
  });
  return app;
}
