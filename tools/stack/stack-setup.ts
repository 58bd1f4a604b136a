import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '@parley/config';
import { EventSerde } from '@parley/events';
import { KafkaAdmin, createKafka } from '@parley/kafka';
import { startCluster, stopCluster } from '@parley/kafka-infra';
import { PROJECT_MIGRATIONS, ensureDatabase, migrate, redact } from '@parley/postgres';
import { startService, type ServiceProcess } from './service-process';

export type Log = (line: string) => void;

export interface Stack {
  readonly config: Config;
  /** The variables every app and test needs to find the stack. */
  readonly env: Readonly<Record<string, string>>;
  readonly endpoints: readonly { name: string; url: string }[];
  teardown(): Promise<void>;
}

export type AppName = 'projector' | 'delivery' | 'gateway' | 'analytics';

export interface SetUpOptions {
  readonly registryPort?: number;
  readonly projectorPort?: number;
  readonly deliveryPort?: number;
  readonly gatewayPort?: number;
  readonly analyticsPort?: number;
  /** The apps to start (default: all); a benchmark of one part leaves the others out. */
  readonly apps?: readonly AppName[];
  readonly log: Log;
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
  const teardown = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((e: unknown) => log(`teardown: ${String(e)}`));
  };

  try {
    step(log, 1, 'Kafka');
    if (process.env.KAFKA_BROKERS) {
      log(`  using KAFKA_BROKERS=${config.kafka.brokers.join(',')}`);
    } else {
      const { started } = await startCluster('single', (l) => log(`  ${l}`));
      log(started ? '  local broker started' : '  local broker already running');
      if (started && process.env.PARLEY_KEEP_KAFKA !== '1')
        cleanups.push(() => stopCluster('single', (l) => log(`  ${l}`)));
    }

    step(log, 2, 'PostgreSQL');
    const created = await ensureDatabase(config.postgres.url);
    log(`  database ${created} at ${redact(config.postgres.url)}`);
    await migrate({ databaseUrl: config.postgres.url, ...PROJECT_MIGRATIONS, log: (l) => log(`  ${l}`) });

    step(log, 3, 'Redis');
    await pingRedis(config.redis.url);
    log(`  reachable at ${config.redis.url}`);

    step(log, 4, 'Topics');
    const admin = new KafkaAdmin(createKafka({ brokers: config.kafka.brokers, clientId: 'parley-setup' }));
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

    step(log, 5, 'Schema registry');
    let registryUrl = config.schemaRegistry.url;
    if (process.env.SCHEMA_REGISTRY_URL) {
      log(`  using SCHEMA_REGISTRY_URL=${registryUrl}`);
    } else {
      const port = options.registryPort ?? config.schemaRegistry.port;
      registryUrl = `http://127.0.0.1:${port}`;
      const registry = await startService(
        'schema-registry',
        { SCHEMA_REGISTRY_PORT: String(port), DATABASE_URL: config.postgres.url },
        `${registryUrl}/readyz`,
      );
      cleanups.push(() => registry.stop());
      log(`  listening at ${registryUrl}`);
    }

    step(log, 6, 'Event schemas');
    const ids = await new EventSerde(registryUrl).registerAll();
    log(`  ${ids.size} event types registered`);

    const env = {
      KAFKA_BROKERS: config.kafka.brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      DATABASE_URL: config.postgres.url,
      REDIS_URL: config.redis.url,
      TOPIC_PREFIX: config.kafka.topicPrefix,
    };

    // The apps, in dependency order: the projector feeds the read models the gateway reads.
    const apps: { n: number; name: AppName; title: string; portVariable: string; port: number }[] = [
      {
        n: 7,
        name: 'projector',
        title: 'Projector',
        portVariable: 'PROJECTOR_PORT',
        port: options.projectorPort ?? config.projector.port,
      },
      {
        n: 8,
        name: 'delivery',
        title: 'Delivery worker',
        portVariable: 'DELIVERY_PORT',
        port: options.deliveryPort ?? config.delivery.port,
      },
      {
        n: 9,
        name: 'gateway',
        title: 'Gateway',
        portVariable: 'GATEWAY_PORT',
        port: options.gatewayPort ?? config.gateway.port,
      },
      {
        n: 10,
        name: 'analytics',
        title: 'Analytics',
        portVariable: 'ANALYTICS_PORT',
        port: options.analyticsPort ?? config.analytics.port,
      },
    ];
    for (const app of apps) {
      step(log, app.n, app.title);
      if (options.apps && !options.apps.includes(app.name)) {
        log('  not started (not needed here)');
        continue;
      }
      const service = await startService(
        app.name,
        { ...env, [app.portVariable]: String(app.port) },
        `http://127.0.0.1:${app.port}/readyz`,
      );
      cleanups.push(() => service.stop());
      log(`  ready at http://127.0.0.1:${app.port}`);
    }
    const [projectorPort, deliveryPort, gatewayPort, analyticsPort] = apps.map((app) => app.port);
    return {
      config,
      env,
      endpoints: [
        { name: 'HTTP API', url: `http://127.0.0.1:${gatewayPort}/v1` },
        { name: 'Kafka bootstrap', url: env.KAFKA_BROKERS },
        { name: 'Schema registry', url: registryUrl },
        { name: 'PostgreSQL', url: redact(config.postgres.url) },
        { name: 'Redis', url: config.redis.url },
        { name: 'Projector health', url: `http://127.0.0.1:${projectorPort}/healthz` },
        { name: 'Delivery health', url: `http://127.0.0.1:${deliveryPort}/healthz` },
        { name: 'Analytics API', url: `http://127.0.0.1:${analyticsPort}/v1/analytics` },
      ],
      teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}

/** Starts an app of `apps/` against the stack; stopped by the caller. */
export function startApp(
  stack: Stack,
  name: string,
  env: Record<string, string>,
  readyUrl: string,
): Promise<ServiceProcess> {
  return startService(name, { ...stack.env, ...env }, readyUrl);
}

function step(log: Log, n: number, what: string): void {
  log(`[${n}/10] ${what}`);
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
