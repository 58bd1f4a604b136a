import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import express from 'express';
import { Pool } from 'pg';
import type { Logger } from '@parley/logging';
import { ServiceMetrics, opsMiddleware } from '@parley/observability';
import { ensureDatabase, migrate, logConnectionFailures } from '@parley/postgres';
import { registryRoutes } from './registry-routes';
import { RegistryStore } from './registry-store';

export const REGISTRY_MIGRATIONS = {
  // From the repository root, so the path holds from the source and from a service's build
  // (dist/apps/<name>/, as deep as libs/<lib>/src/).
  dir: resolve(__dirname, '../../../libs/schema-registry/migrations'),
  table: 'registry_migrations',
} as const;

export interface RegistryServerOptions {
  readonly databaseUrl: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly host?: string;
  readonly logger?: Logger;
}

export interface RunningRegistry {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Creates the database if needed, migrates the registry's tables, and serves the API. */
export async function startRegistryServer(options: RegistryServerOptions): Promise<RunningRegistry> {
  await ensureDatabase(options.databaseUrl);
  await migrate({
    databaseUrl: options.databaseUrl,
    ...REGISTRY_MIGRATIONS,
    log: (l) => options.logger?.info(l),
  });
  const pool = new Pool({ connectionString: options.databaseUrl, max: 10 });
  logConnectionFailures(pool, options.logger);
  const store = new RegistryStore(pool);

  const metrics = new ServiceMetrics('schema-registry');
  const app = express();
  app.disable('x-powered-by');
  // /healthz, /readyz (PostgreSQL answers) and /metrics, like every Parley service.
  app.use(opsMiddleware({ metrics, checks: { postgres: () => store.ping() } }));
  app.use(registryRoutes(store));

  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolveServer, reject) => {
    const s = app.listen(options.port, host, () => resolveServer(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await pool.end();
    },
  };
}
