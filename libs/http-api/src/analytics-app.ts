import express, { type NextFunction, type Request, type Response } from 'express';
import type { Pool } from 'pg';
import { isAdminUser } from '@parley/accounts';
import { activeUsers, latencySummary, messagesPerMinute, parseRange } from '@parley/analytics';
import { bearerToken, type TokenService } from '@parley/auth';
import { DomainError } from '@parley/domain';
import type { Logger } from '@parley/logging';
import { toHttpError } from './error-mapping';
import { ANALYTICS_OPENAPI } from './openapi/analytics-openapi';

export interface AnalyticsAppDeps {
  readonly pool: Pool;
  readonly tokens: TokenService;
  /** Only these users may read analytics (platform-wide figures are not for every user). */
  readonly adminUsernames: readonly string[];
  /** ... and these (ADMIN_USER_IDS: ids cannot be chosen at registration, names can). */
  readonly adminUserIds?: readonly string[];
  /** The ops endpoints and request counting (libs/observability), ahead of the routes. */
  readonly ops?: (req: Request, res: Response, next: NextFunction) => void;
  readonly logger?: Logger;
}

/** The analytics HTTP API: `/v1/analytics/{messages,latency,active-users}?from=&to=`, admins only. */
export function createAnalyticsApp(deps: AnalyticsAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.ops) app.use(deps.ops);

  // Public documentation of the routes below (outside /v1/analytics, so no token is asked for).
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(ANALYTICS_OPENAPI);
  });

  app.use('/v1/analytics', async (req: Request, _res: Response, next: NextFunction) => {
    const userId = await deps.tokens.verify(bearerToken(req.header('authorization')));
    const admins = { userIds: deps.adminUserIds ?? [], usernames: deps.adminUsernames };
    if (!(await isAdminUser(deps.pool, admins, userId)))
      throw new DomainError('forbidden', 'FORBIDDEN', 'analytics are for administrators');
    next();
  });

  app.get('/v1/analytics/messages', async (req, res) => {
    const range = parseRange(req.query);
    const minutes = await messagesPerMinute(deps.pool, range);
    res.json({
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      total: minutes.reduce((sum, m) => sum + m.messages, 0),
      minutes,
    });
  });

  app.get('/v1/analytics/latency', async (req, res) => {
    const range = parseRange(req.query);
    const [sendToDeliver, deliverToRead] = await Promise.all([
      latencySummary(deps.pool, 'send_to_deliver', range),
      latencySummary(deps.pool, 'deliver_to_read', range),
    ]);
    res.json({
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      unit: 'ms',
      sendToDeliver,
      deliverToRead,
    });
  });

  app.get('/v1/analytics/active-users', async (req, res) => {
    const range = parseRange(req.query);
    res.json({
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      activeUsers: await activeUsers(deps.pool, range),
    });
  });

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) deps.logger?.error({ err: error, path: req.path }, 'analytics request failed');
    res.status(status).json(body);
  });
  return app;
}
