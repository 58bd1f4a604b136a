// Wiring only: the delivery worker appends every message and deletion to its recipients' inboxes
// (positions per user, in PostgreSQL) and announces new items to the gateway nodes through Redis;
// its live relay turns statuses into receipts and conversation feeds.
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { loadConfig } from '@parley/config';
import {
  ChannelPublisher,
  DeliveryJobs,
  InboxNotifier,
  PresenceTracker,
  LiveRelay,
  inboxProjection,
  type AppendedItem,
} from '@parley/delivery';
import { EventSerde } from '@parley/events';
import { BatchingProducer, createKafka } from '@parley/kafka';
import { createLogger } from '@parley/logging';
import { ProjectionRunner } from '@parley/projections';
import { EventPublisher } from '@parley/publishing';
import { runService, startHealthServer, type StopService } from '@parley/runtime';

async function start(): Promise<StopService> {
  const config = loadConfig();
  const logger = createLogger('delivery', config.logLevel);
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-delivery`,
    logger,
  });
  const pool = new Pool({ connectionString: config.postgres.url, max: 16 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection problem'));
  const notifier = new InboxNotifier(redis, config.redis.keyPrefix, logger);
  const deadLetters = new BatchingProducer(kafka);
  await deadLetters.connect();
  const serde = new EventSerde(config.schemaRegistry.url);
  // The worker records events too (DeliveryPending, MessageFailed, PresenceChanged): their schema ids first.
  await serde.registerAll();
  const publisher = new EventPublisher(deadLetters, serde, config.kafka.topicPrefix);
  const jobs = new DeliveryJobs({
    pool,
    publisher,
    presence: new PresenceTracker(redis, config.redis.keyPrefix, publisher, config.presence, logger),
    ttlMs: config.delivery.ttlMs,
    logger,
  });
  const runner = new ProjectionRunner({
    kafka,
    pool,
    serde,
    deadLetters,
    projection: inboxProjection,
    topicPrefix: config.kafka.topicPrefix,
    // Partitions in parallel: a user's inbox_heads row orders what two partitions share.
    partitionsConcurrently: 12,
    logger,
    onCommitted: (rows) => {
      const items = rows as unknown as AppendedItem[];
      notifier.announce(items);
      jobs
        .appended(items)
        .catch((error: unknown) => logger.warn({ err: error }, 'DeliveryPending not recorded'));
    },
  });
  const relay = new LiveRelay({
    kafka,
    pool,
    serde,
    deadLetters,
    publisher: new ChannelPublisher(redis, config.redis.keyPrefix, logger),
    topicPrefix: config.kafka.topicPrefix,
    logger,
  });
  await Promise.all([runner.start(), relay.start()]);
  jobs.start();
  const health = startHealthServer(config.delivery.port);
  logger.info({ port: config.delivery.port }, 'delivery worker running');

  return async () => {
    logger.info('stopping: finishing the transactions in progress');
    health.close();
    await Promise.all([runner.stop(), relay.stop(), jobs.stop()]);
    await deadLetters.disconnect();
    redis.disconnect();
    await pool.end();
  };
}

runService('delivery', start);
