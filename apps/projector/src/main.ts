// Wiring only: runs every read-model projection of libs/read-models against PostgreSQL.
import { Pool } from 'pg';
import { loadConfig } from '@parley/config';
import { EventSerde } from '@parley/events';
import { BatchingProducer, KafkaAdmin, createKafka } from '@parley/kafka';
import { createLogger } from '@parley/logging';
import { PROJECT_MIGRATIONS, ensureDatabase, migrate } from '@parley/postgres';
import { ProjectionRunner } from '@parley/projections';
import { ALL_PROJECTIONS } from '@parley/read-models';
import { LagCollector, ServiceMetrics, dependencyChecks, startOpsServer } from '@parley/observability';
import { runService, type StopService } from '@parley/runtime';

async function start(): Promise<StopService> {
  const config = loadConfig();
  const logger = createLogger('projector', config.logLevel);
  await ensureDatabase(config.postgres.url);
  await migrate({
    databaseUrl: config.postgres.url,
    ...PROJECT_MIGRATIONS,
    log: (line) => logger.info(line),
  });

  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-projector`,
    logger,
  });
  const pool = new Pool({ connectionString: config.postgres.url, max: ALL_PROJECTIONS.length + 2 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  const deadLetters = new BatchingProducer(kafka);
  await deadLetters.connect();
  const serde = new EventSerde(config.schemaRegistry.url);
  const runners = ALL_PROJECTIONS.map(
    (projection) =>
      new ProjectionRunner({
        kafka,
        pool,
        serde,
        deadLetters,
        projection,
        topicPrefix: config.kafka.topicPrefix,
        logger,
      }),
  );
  await Promise.all(runners.map((runner) => runner.start()));

  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  const metrics = new ServiceMetrics('projector');
  const health = startOpsServer(config.projector.port, {
    metrics,
    lag: new LagCollector(metrics, { admin, pool, topicPrefix: config.kafka.topicPrefix }),
    checks: dependencyChecks({ pool, kafka: admin }),
  });
  logger.info(
    { projections: ALL_PROJECTIONS.map((p) => p.name), port: config.projector.port },
    'projector running',
  );

  return async () => {
    logger.info('stopping: finishing the transactions in progress');
    health.close();
    await Promise.all(runners.map((runner) => runner.stop()));
    await deadLetters.disconnect();
    await admin.disconnect();
    await pool.end();
  };
}

runService('projector', start);
