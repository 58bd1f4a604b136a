// Wiring only: the notifier reads chat.messages under its own consumer group and sends Web Push
// notifications (RFC 8030/8291/8292) to users who are offline with unread messages (libs/push).
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { loadConfig } from '@parley/config';
import { EventSerde } from '@parley/events';
import { BatchingProducer, KafkaAdmin, createKafka, lingeringFetches } from '@parley/kafka';
import { createLogger } from '@parley/logging';
import {
  LagCollector,
  ServiceMetrics,
  consumerChecks,
  dependencyChecks,
  listening,
  startOpsServer,
} from '@parley/observability';
import { SERVICE_POOL_CONFIG, logConnectionFailures } from '@parley/postgres';
import { WebPushSender, loadVapidKeys, startNotifier } from '@parley/push';
import { runService, type StopService } from '@parley/runtime';
import { notifierMetrics } from './notifier-metrics';

async function start(): Promise<StopService> {
  const config = loadConfig();
  const logger = createLogger('notifier', config.logLevel);
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-notifier`,
    security: config.kafka.security,
    logger,
  });
  const pool = new Pool({ connectionString: config.postgres.url, max: 8, ...SERVICE_POOL_CONFIG });
  logConnectionFailures(pool, logger);
  // Presence only (read): whether a user is online when their notification is due.
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection problem'));
  // For dead-lettered records only: the notifier records no event.
  const producer = new BatchingProducer(kafka, { sendTimeoutMs: config.kafka.sendTimeoutMs });
  await producer.connect();
  const serde = new EventSerde(config.schemaRegistry.url);
  const { keys, source } = await loadVapidKeys(pool, config.push.vapid);
  logger.info({ source, subject: keys.subject }, 'VAPID keys ready');
  const metrics = new ServiceMetrics('notifier');
  // A notification waits PUSH_GRACE_MS anyway: records may linger a little to come in fewer fetches.
  const fetch = lingeringFetches(config.push.batchWaitMs);
  const notifier = await startNotifier({
    kafka,
    pool,
    redis,
    serde,
    deadLetters: producer,
    topicPrefix: config.kafka.topicPrefix,
    redisKeyPrefix: config.redis.keyPrefix,
    transport: new WebPushSender({
      keys,
      timeoutMs: config.push.sendTimeoutMs,
      allowLoopbackHttp: config.push.allowLoopbackHttp,
    }),
    rules: config.push.rules,
    retry: config.push.retry,
    ttlSeconds: config.push.ttlSeconds,
    logger,
    instrument: metrics.kafkaInstrument,
    report: notifierMetrics(metrics),
    ...(fetch ? { fetch } : {}),
  });
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  const health = await listening(
    startOpsServer(
      config.push.notifierPort,
      {
        metrics,
        lag: new LagCollector(metrics, { admin, pool, topicPrefix: config.kafka.topicPrefix }),
        checks: {
          ...dependencyChecks({ pool, redis, kafka: admin }),
          ...consumerChecks({
            admin,
            consumers: notifier.consumers,
            stallAfterMs: config.ops.consumerStallMs,
          }),
        },
      },
      config.ops.host,
    ),
  );
  logger.info({ port: config.push.notifierPort }, 'notifier running');

  return async () => {
    logger.info('stopping: notifications in progress are let go, to be sent again');
    health.close();
    await notifier.stop();
    await producer.disconnect();
    await admin.disconnect();
    redis.disconnect();
    await pool.end();
  };
}

runService('notifier', start);
