// Wiring only: the delivery worker appends every message and deletion to its recipients' inboxes
// (positions per user, in PostgreSQL) and announces new items to the gateway nodes through Redis;
// its live relay turns statuses into receipts and conversation feeds; its jobs sweep presence and
// fail what was not delivered in time.
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { loadConfig } from '@parley/config';
import { PROJECTION_POOL_CONFIG, logConnectionFailures } from '@parley/postgres';
import { startDeliveryWorker } from '@parley/delivery';
import { EventSerde } from '@parley/events';
import { BatchingProducer, KafkaAdmin, createKafka } from '@parley/kafka';
import { createLogger } from '@parley/logging';
import {
  LagCollector,
  ServiceMetrics,
  consumerChecks,
  dependencyChecks,
  listening,
  startOpsServer,
} from '@parley/observability';
import { runService, type StopService } from '@parley/runtime';

async function start(): Promise<StopService> {
  const config = loadConfig();
  const logger = createLogger('delivery', config.logLevel);
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-delivery`,
    security: config.kafka.security,
    logger,
  });
  // Pipeline mode: the inbox projection writes a chunk's transaction in one round trip.
  const pool = new Pool({
    connectionString: config.postgres.url,
    max: 16,
    ...PROJECTION_POOL_CONFIG,
  });
  logConnectionFailures(pool, logger);
  // Auto-pipelining: the publishes of one event-loop turn leave in one write (system calls are dear).
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection problem'));
  const producer = new BatchingProducer(kafka, { sendTimeoutMs: config.kafka.sendTimeoutMs });
  await producer.connect();
  const serde = new EventSerde(config.schemaRegistry.url);
  await serde.registerAll();
  const metrics = new ServiceMetrics('delivery');
  const worker = await startDeliveryWorker({
    kafka,
    pool,
    redis,
    producer,
    serde,
    topicPrefix: config.kafka.topicPrefix,
    redisKeyPrefix: config.redis.keyPrefix,
    presence: config.presence,
    ttlMs: config.delivery.ttlMs,
    retentionMs: config.delivery.retentionMs,
    logger,
    instrument: metrics.kafkaInstrument,
  });
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  const health = await listening(
    startOpsServer(
      config.delivery.port,
      {
        metrics,
        lag: new LagCollector(metrics, { admin, pool, topicPrefix: config.kafka.topicPrefix }),
        checks: {
          ...dependencyChecks({ pool, redis, kafka: admin }),
          ...consumerChecks({ admin, consumers: worker.consumers, stallAfterMs: config.ops.consumerStallMs }),
        },
      },
      config.ops.host,
    ),
  );
  logger.info({ port: config.delivery.port }, 'delivery worker running');

  return async () => {
    logger.info('stopping: finishing the transactions in progress');
    health.close();
    await worker.stop();
    await producer.disconnect();
    await admin.disconnect();
    redis.disconnect();
    await pool.end();
  };
}

runService('delivery', start);
