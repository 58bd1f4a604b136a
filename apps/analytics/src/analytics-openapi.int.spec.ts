// The analytics service's OpenAPI document against a real analytics app (its own process and port in
// production): every route documented and every documented route routed; each called as an admin,
// as another user, without a token and with a bad range, every answer's status documented and its
// body fitting the documented schema.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { TokenService } from '@parley/auth';
import { ANALYTICS_OPENAPI, createAnalyticsApp } from '@parley/http-api';
import { PUBLIC_OPS_ENDPOINTS, ServiceMetrics, opsMiddleware } from '@parley/observability';
import { testPool, createTestWorld, type TestWorld } from '@parley/testing';
import { OpenApiValidator, documentedRoutes } from '../../gateway/test/openapi-check';
import { routesOf } from '../../gateway/test/route-table';

const SECRET = 'analytics-openapi-secret-of-enough-length!';
/** Served ahead of the express router (the ops middleware). */
const OUTSIDE_ROUTER = ['GET /healthz'];

describe('the analytics OpenAPI document against the analytics app', () => {
  let world: TestWorld;
  let pool: Pool;
  let server: Server;
  let base: string;
  const adminId = randomUUID();
  const tokens = new TokenService(SECRET);
  const validator = new OpenApiValidator(ANALYTICS_OPENAPI);

  beforeAll(async () => {
    world = await createTestWorld('analytics_openapi', { database: true });
    pool = testPool({ connectionString: world.databaseUrl, max: 4 });
    const app = createAnalyticsApp({
      pool,
      tokens,
      adminUsernames: [],
      adminUserIds: [adminId],
      ops: opsMiddleware({ metrics: new ServiceMetrics('analytics'), checks: {} }, PUBLIC_OPS_ENDPOINTS),
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await pool.end();
    await world.dispose();
  });

  const get = async (path: string, token?: string) => {
    const response = await fetch(
      `${base}${path}`,
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    );
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  it('given the router and the document, then every route is documented and every documented route is routed', () => {
    const routed = routesOf(server).map((route) => route.key);
    const documented = documentedRoutes(ANALYTICS_OPENAPI).map((route) => route.key);
    expect(routed.filter((key) => !documented.includes(key))).toEqual([]);
    expect(documented.filter((key) => !routed.includes(key) && !OUTSIDE_ROUTER.includes(key))).toEqual([]);
  });

  it('given every documented route, then its answers have documented statuses and fit their schemas', async () => {
    const admin = (await tokens.issue(adminId)).token;
    const someone = (await tokens.issue(randomUUID())).token;
    const problems: string[] = [];
    for (const route of documentedRoutes(ANALYTICS_OPENAPI)) {
      const isPublic = Array.isArray(route.operation.security) && route.operation.security.length === 0;
      const calls: [string, string | undefined, number][] = isPublic
        ? [[route.path, undefined, 200]]
        : [
            [route.path, admin, 200],
            [`${route.path}?from=2026-01-01T00:00:00Z&to=2026-01-01T00:10:00Z`, admin, 200],
            [`${route.path}?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`, admin, 400],
            [route.path, someone, 403],
            [route.path, undefined, 401],
          ];
      for (const [path, token, expected] of calls) {
        const answer = await get(path, token);
        if (answer.status !== expected) problems.push(`${path}: expected ${expected}, got ${answer.status}`);
        problems.push(...validator.checkAnswer(route.method, route.path, answer.status, answer.body));
      }
    }
    expect(problems).toEqual([]);
  });

  it('given GET /v1/openapi.json without a token, then it is the document in the repository', async () => {
    const answer = await get('/v1/openapi.json');
    expect(answer).toEqual({ status: 200, body: JSON.parse(JSON.stringify(ANALYTICS_OPENAPI)) });
  });
});
