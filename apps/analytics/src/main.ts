// Wiring only: the analytics projection under its own consumer group, and its HTTP API (libs/analytics).
import { Pool } from 'pg';
import { analyticsProjection, createAnalyticsApp } from '@parley/analytics';
import { TokenService } from '@parley/auth';
import { loadConfig } from '@parley/config';
import { EventSerde } from '@parley/events';
import { BatchingProducer, KafkaAdmin, createKafka } from '@parley/kafka';
import { createLogger } from '@parley/logging';
import { LagCollector, ServiceMetrics, dependencyChecks, opsMiddleware } from '@parley/observability';
import { PROJECT_MIGRATIONS, ensureDatabase, migrate } from '@parley/postgres';
import { ProjectionRunner } from '@parley/projections';
import { runService, type StopService } from '@parley/runtime';

async function start(): Promise<StopService> {
  const config = loadConfig();
  const logger = createLogger('analytics', config.logLevel);
  await ensureDatabase(config.postgres.url);
  await migrate({
    databaseUrl: config.postgres.url,
    ...PROJECT_MIGRATIONS,
    log: (line) => logger.info(line),
  });

  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-analytics`,
    logger,
  });
  const pool = new Pool({ connectionString: config.postgres.url, max: 6 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  const deadLetters = new BatchingProducer(kafka);
  await deadLetters.connect();
  const runner = new ProjectionRunner({
    kafka,
    pool,
    serde: new EventSerde(config.schemaRegistry.url),
    deadLetters,
    projection: analyticsProjection,
    topicPrefix: config.kafka.topicPrefix,
    // Analytics readers are not read models: a group of their own, named for what it is.
    groupId: `${config.kafka.topicPrefix}parley.analytics`,
    logger,
  });
  await runner.start();

  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  const metrics = new ServiceMetrics('analytics');
  const app = createAnalyticsApp({
    pool,
    tokens: new TokenService(config.auth.jwtSecret),
    adminUsernames: config.auth.adminUsernames,
    ops: opsMiddleware({
      metrics,
      lag: new LagCollector(metrics, { admin, pool, topicPrefix: config.kafka.topicPrefix }),
      checks: dependencyChecks({ pool, kafka: admin }),
    }),
    logger,
  });
  const server = app.listen(config.analytics.port, '127.0.0.1');
  logger.info({ port: config.analytics.port }, 'analytics running');

  return async () => {
    logger.info('stopping: finishing the transactions in progress');
    server.close();
    await runner.stop();
    await deadLetters.disconnect();
    await admin.disconnect();
    await pool.end();
  };
}

runService('analytics', start);
