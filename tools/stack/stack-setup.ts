import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { relative } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '@parley/config';
import { EventSerde } from '@parley/events';
import { KafkaAdmin, createKafka } from '@parley/kafka';
import { REPO_ROOT, STATE_DIR, startCluster, stopCluster } from '@parley/kafka-infra';
import { PROJECT_MIGRATIONS, ensureDatabase, migrate, redact } from '@parley/postgres';
import { installationSecret } from './installation-secret';
import { buildServices } from './build-services';
import { buildWebApp } from './build-web';
import { startService, type ServiceProcess } from './service-process';
import { Supervisor, type Log } from './supervisor';

export type { Log } from './supervisor';

export interface Stack {
  readonly config: Config;
  /** The variables every app and test needs to find the stack. */
  readonly env: Readonly<Record<string, string>>;
  readonly endpoints: readonly { name: string; url: string }[];
  /** The supervised services by name (`schema-registry` and the apps started), for fault tests. */
  readonly services: ReadonlyMap<string, ServiceProcess>;
  teardown(): Promise<void>;
}

export type AppName = 'projector' | 'delivery' | 'gateway' | 'analytics' | 'notifier';

export interface SetUpOptions {
  readonly registryPort?: number;
  readonly projectorPort?: number;
  readonly deliveryPort?: number;
  readonly gatewayPort?: number;
  readonly analyticsPort?: number;
  /** The notifier's ops listener (default: NOTIFIER_PORT). */
  readonly notifierPort?: number;
  /** The ops listeners (/readyz, /metrics) of the gateway and analytics (default: GATEWAY_OPS_PORT, ANALYTICS_OPS_PORT). */
  readonly gatewayOpsPort?: number;
  readonly analyticsOpsPort?: number;
  /**
   * The token signing secret when JWT_SECRET is not set: the installation's own, kept in
   * `.parley/jwt-secret` (default; `npm start`), or a new one for this run only (`npm test`).
   */
  readonly jwtSecret?: 'installation' | 'per-run';
  /** The apps to start (default: all); a benchmark of one part leaves the others out. */
  readonly apps?: readonly AppName[];
  readonly log: Log;
  /** Where each line a service prints goes (default: stdout, prefixed with `[name]`). */
  readonly output?: (name: string, line: string) => void;
}

/**
 * The set-up shared by `npm start` and `npm test`, in dependency order. Each service given through
 * its environment variable (KAFKA_BROKERS, SCHEMA_REGISTRY_URL) is used as it is; otherwise the local
 * one is started. PostgreSQL and Redis are always external (local ones run on this machine).
 */
export async function setUpStack(options: SetUpOptions): Promise<Stack> {
  const { log } = options;
  const config = loadConfig();
  const cleanups: (() => Promise<void>)[] = [];
  // Every service runs supervised: one that dies is logged and restarted with backoff.
  const supervisor = new Supervisor({
    log: (line) => log(`[supervisor] ${line}`),
    ...(options.output ? { output: options.output } : {}),
  });
  const services = new Map<string, ServiceProcess>();
  const teardown = async () => {
    // First, before anything is awaited: Ctrl-C also reached the services, which are stopping on
    // their own now, and none of them may be restarted.
    supervisor.shutDown();
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((e: unknown) => log(`teardown: ${String(e)}`));
  };

  try {
    step(log, 1, 'Token signing secret');
    const jwtSecret = tokenSecret(options.jwtSecret ?? 'installation', log);
    // A JWT_SECRET of the environment that the services would refuse stops the set-up here, with their message.
    loadConfig({ ...process.env, JWT_SECRET: jwtSecret }, { jwtSecret: 'required' });

    step(log, 2, 'Building the services and the web app');
    const built = performance.now();
    await buildServices();
    log(`  services compiled to dist/apps/ in ${Math.round(performance.now() - built)} ms`);
    log('  web app (vite build apps/web)...');
    const web = await buildWebApp();
    log(
      web.built
        ? `  web app built into dist/apps/web in ${web.ms} ms`
        : '  web app up to date (dist/apps/web)',
    );
    if (web.built && web.warnings) log(web.warnings.replace(/^/gm, '  '));

    step(log, 3, 'Kafka');
    if (process.env.KAFKA_BROKERS) {
      log(`  using KAFKA_BROKERS=${config.kafka.brokers.join(',')}`);
    } else {
      const { started } = await startCluster('single', (l) => log(`  ${l}`));
      log(started ? '  local broker started' : '  local broker already running');
      if (started && process.env.PARLEY_KEEP_KAFKA !== '1')
        cleanups.push(() => stopCluster('single', (l) => log(`  ${l}`)));
    }

    step(log, 4, 'PostgreSQL');
    const created = await ensureDatabase(config.postgres.url);
    log(`  database ${created} at ${redact(config.postgres.url)}`);
    await migrate({ databaseUrl: config.postgres.url, ...PROJECT_MIGRATIONS, log: (l) => log(`  ${l}`) });

    step(log, 5, 'Redis');
    await pingRedis(config.redis.url);
    log(`  reachable at ${config.redis.url}`);

    step(log, 6, 'Topics');
    const admin = new KafkaAdmin(
      createKafka({
        brokers: config.kafka.brokers,
        clientId: 'parley-setup',
        security: config.kafka.security,
      }),
    );
    await admin.connect();
    try {
      const report = await admin.provisionTopics({
        prefix: config.kafka.topicPrefix,
        profile: config.kafka.topicProfile,
      });
      log(`  ${report.created.length} created, ${report.existing.length} already there`);
      for (const d of report.drift)
        log(`  DRIFT ${d.topic}: ${d.setting} is ${d.actual}, the catalogue says ${d.expected}`);
    } finally {
      await admin.disconnect();
    }

    step(log, 7, 'Schema registry');
    let registryUrl = config.schemaRegistry.url;
    if (process.env.SCHEMA_REGISTRY_URL) {
      log(`  using SCHEMA_REGISTRY_URL=${registryUrl}`);
    } else {
      const port = options.registryPort ?? config.schemaRegistry.port;
      registryUrl = `http://127.0.0.1:${port}`;
      const registry = await startService(
        supervisor,
        'schema-registry',
        { SCHEMA_REGISTRY_PORT: String(port), DATABASE_URL: config.postgres.url },
        `${registryUrl}/readyz`,
      );
      cleanups.push(() => registry.stop());
      services.set('schema-registry', registry);
      log(`  listening at ${registryUrl}`);
    }

    step(log, 8, 'Event schemas');
    const ids = await new EventSerde(registryUrl).registerAll();
    log(`  ${ids.size} event types registered`);

    const env = {
      KAFKA_BROKERS: config.kafka.brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      DATABASE_URL: config.postgres.url,
      REDIS_URL: config.redis.url,
      TOPIC_PREFIX: config.kafka.topicPrefix,
    };

    // The apps, in dependency order: the projector feeds the read models the gateway reads. The
    // gateway and analytics serve their API on one port and /readyz, /metrics on an ops port; only
    // they sign or check tokens, so only they get the secret.
    const opsHost = urlHost(config.ops.host);
    const projectorPort = options.projectorPort ?? config.projector.port;
    const deliveryPort = options.deliveryPort ?? config.delivery.port;
    const gatewayPort = options.gatewayPort ?? config.gateway.port;
    const gatewayOpsPort = options.gatewayOpsPort ?? config.gateway.opsPort;
    const analyticsPort = options.analyticsPort ?? config.analytics.port;
    const analyticsOpsPort = options.analyticsOpsPort ?? config.analytics.opsPort;
    const notifierPort = options.notifierPort ?? config.push.notifierPort;
    const apps: {
      n: number;
      name: AppName;
      title: string;
      env: Record<string, string>;
      readyPort: number;
    }[] = [
      {
        n: 9,
        name: 'projector',
        title: 'Projector',
        env: { PROJECTOR_PORT: String(projectorPort) },
        readyPort: projectorPort,
      },
      {
        n: 10,
        name: 'delivery',
        title: 'Delivery worker',
        env: { DELIVERY_PORT: String(deliveryPort) },
        readyPort: deliveryPort,
      },
      {
        n: 11,
        name: 'gateway',
        title: 'Gateway',
        env: {
          GATEWAY_PORT: String(gatewayPort),
          GATEWAY_OPS_PORT: String(gatewayOpsPort),
          JWT_SECRET: jwtSecret,
        },
        readyPort: gatewayOpsPort,
      },
      {
        n: 12,
        name: 'analytics',
        title: 'Analytics',
        env: {
          ANALYTICS_PORT: String(analyticsPort),
          ANALYTICS_OPS_PORT: String(analyticsOpsPort),
          JWT_SECRET: jwtSecret,
        },
        readyPort: analyticsOpsPort,
      },
      {
        n: 13,
        name: 'notifier',
        title: 'Notifier (Web Push)',
        env: { NOTIFIER_PORT: String(notifierPort) },
        readyPort: notifierPort,
      },
    ];
    for (const app of apps) {
      step(log, app.n, app.title);
      if (options.apps && !options.apps.includes(app.name)) {
        log('  not started (not needed here)');
        continue;
      }
      const readyUrl = `http://${opsHost}:${app.readyPort}/readyz`;
      const service = await startService(supervisor, app.name, { ...env, ...app.env }, readyUrl);
      cleanups.push(() => service.stop());
      services.set(app.name, service);
      log(`  ready (${readyUrl})`);
    }
    return {
      config,
      env,
      endpoints: [
        { name: 'Web app', url: `http://127.0.0.1:${gatewayPort}/` },
        { name: 'HTTP API', url: `http://127.0.0.1:${gatewayPort}/v1` },
        { name: 'Kafka bootstrap', url: env.KAFKA_BROKERS },
        { name: 'Schema registry', url: registryUrl },
        { name: 'PostgreSQL', url: redact(config.postgres.url) },
        { name: 'Redis', url: config.redis.url },
        { name: 'Projector health', url: `http://${opsHost}:${projectorPort}/healthz` },
        { name: 'Delivery health', url: `http://${opsHost}:${deliveryPort}/healthz` },
        { name: 'Analytics API', url: `http://127.0.0.1:${analyticsPort}/v1/analytics` },
        { name: 'Notifier health', url: `http://${opsHost}:${notifierPort}/healthz` },
        { name: 'Gateway metrics', url: `http://${opsHost}:${gatewayOpsPort}/metrics` },
      ],
      services,
      teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}

/**
 * JWT_SECRET when set; otherwise the installation's secret (created on first use) or one for this
 * run. Never a constant: a secret in the repository would let anyone sign tokens.
 */
function tokenSecret(source: 'installation' | 'per-run', log: Log): string {
  const fromEnvironment = process.env.JWT_SECRET;
  if (fromEnvironment) {
    log('  using JWT_SECRET from the environment');
    return fromEnvironment;
  }
  if (source === 'per-run') {
    log('  a new one for this run only (set JWT_SECRET to use your own)');
    return randomBytes(32).toString('base64url');
  }
  const kept = installationSecret(STATE_DIR);
  const where = relative(REPO_ROOT, kept.path).startsWith('..') ? kept.path : relative(REPO_ROOT, kept.path);
  log(
    `  ${kept.created ? 'generated and kept' : 'kept'} in ${where} (mode 0600); setting JWT_SECRET overrides it`,
  );
  if (kept.tightened) log(`  ${where} or its directory could be read by others: closed to them now`);
  return kept.secret;
}

/** How a URL names a listener bound to `host` (one bound to every address answers on loopback). */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function step(log: Log, n: number, what: string): void {
  log(`[${n}/13] ${what}`);
}

async function pingRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `cannot reach Redis at ${url} (${(error as Error).message}). Start it (redis-server --daemonize yes ` +
        '--bind 127.0.0.1 --port 6379 --save "" --appendonly no) or set REDIS_URL.',
    );
  } finally {
    redis.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
