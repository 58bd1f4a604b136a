import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LagCollector } from './lag-collector';
import type { ServiceMetrics } from './service-metrics';

/** A dependency's check: resolves when it answers. */
export type ReadinessCheck = () => Promise<unknown>;

export type OpsEndpoint = '/healthz' | '/readyz' | '/metrics';

/** Every ops endpoint: for a listener operators reach (an ops port on a private address). */
export const ALL_OPS_ENDPOINTS: readonly OpsEndpoint[] = ['/healthz', '/readyz', '/metrics'];

/**
 * What a public port answers: liveness only. `/readyz` names internal hosts in its failures and
 * `/metrics` names topics, groups and routes; they belong on the ops listener.
 */
export const PUBLIC_OPS_ENDPOINTS: readonly OpsEndpoint[] = ['/healthz'];

export interface OpsOptions {
  readonly metrics: ServiceMetrics;
  readonly lag?: LagCollector;
  /** Named dependency checks for `/readyz` (postgres, redis, kafka, ...). */
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
  /** How long a check may take before it counts as failed (default 2 s). */
  readonly checkTimeoutMs?: number;
}

/** The checks of the usual dependencies, for `OpsOptions.checks`. */
export function dependencyChecks(deps: {
  readonly pool?: { query(text: string): Promise<unknown> };
  readonly redis?: { ping(): Promise<unknown> };
  readonly kafka?: { brokerCount(): Promise<number> };
}): Record<string, ReadinessCheck> {
  const checks: Record<string, ReadinessCheck> = {};
  if (deps.pool) checks.postgres = () => deps.pool!.query('SELECT 1');
  if (deps.redis) checks.redis = () => deps.redis!.ping();
  if (deps.kafka) checks.kafka = () => deps.kafka!.brokerCount();
  return checks;
}

/**
 * `/healthz` (alive: answers while the event loop turns), `/readyz` (every dependency answered
 * within the timeout; 503 naming the ones that did not) and `/metrics` (Prometheus text), or only
 * those of `endpoints`. Returns false for any other path, so it can sit in front of an HTTP app.
 */
export function opsHandler(
  options: OpsOptions,
  endpoints: readonly OpsEndpoint[] = ALL_OPS_ENDPOINTS,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || !endpoints.some((endpoint) => endpoint === path)) return false;
    if (path === '/healthz') json(res, 200, { status: 'ok' });
    else if (path === '/readyz')
      void readiness(options).then(({ ok, checks }) =>
        json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', checks }),
      );
    else
      void (async () => {
        // Lag that cannot be read now (Kafka away) is reported as last seen; the rest still answers.
        await options.lag?.refresh().catch(() => undefined);
        res.writeHead(200, { 'content-type': options.metrics.contentType }).end(await options.metrics.text());
      })().catch((error: unknown) => json(res, 500, { status: 'error', reason: String(error) }));
    return true;
  };
}

/** A request as an HTTP framework routes it: Express sets the matched route pattern and mount path. */
type RoutedRequest = IncomingMessage & { route?: { path?: string }; baseUrl?: string };

/**
 * For an HTTP app (connect/Express style): serves the ops endpoints (or only those of `endpoints`)
 * ahead of the app's routes, and counts every other request by route pattern, not path (ids in
 * paths would make a series each).
 */
export function opsMiddleware(
  options: OpsOptions,
  endpoints: readonly OpsEndpoint[] = ALL_OPS_ENDPOINTS,
): (req: RoutedRequest, res: ServerResponse, next: () => void) => void {
  const handle = opsHandler(options, endpoints);
  return (req, res, next) => {
    if (handle(req, res)) return;
    res.on('finish', () => {
      const route = req.route?.path;
      options.metrics.httpRequests.inc({
        method: req.method ?? 'GET',
        route: route ? `${req.baseUrl ?? ''}${route}` : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  };
}

/**
 * The ops endpoints on a listener of their own: a worker's only port, or the ops port of a service
 * whose public port serves an API. `host` is the address it binds (OPS_HOST; loopback by default).
 */
export function startOpsServer(port: number, options: OpsOptions, host = '127.0.0.1'): Server {
  const handle = opsHandler(options);
  const server = createServer((req, res) => {
    if (!handle(req, res)) json(res, 404, { status: 'not found' });
  });
  server.listen(port, host);
  return server;
}

/** Resolves once `server` listens; rejects when it cannot (the port is taken, say). */
export function listening(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve(server);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

async function readiness(options: OpsOptions): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  const results = await Promise.all(
    Object.entries(options.checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ok: results.every(([, state]) => state === 'ok'), checks: Object.fromEntries(results) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
