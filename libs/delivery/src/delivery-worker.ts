// One delivery worker from its clients: the inbox projection (announcing what it appended, then
// handing its records to the live notices of libs/live), the timed jobs, and beside them the live
// relay of chat.presence and the presence sweep (libs/presence). apps/delivery gives it the
// configured clients; tests give it theirs.
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { DeliveryJobs } from './delivery-jobs';
import { inboxProjection } from './inbox-projection';
import { InboxNotifier } from './inbox-notifications';
import type { EventSerde } from '@parley/events';
import type { BatchingProducer, ConsumerProgress, Instrument, KafkaClient } from '@parley/kafka';
import { ChannelPublisher, LiveNotices, LiveRelay } from '@parley/live';
import type { Logger } from '@parley/logging';
import { PresenceTracker, startPresenceSweep, type PresenceOptions } from '@parley/presence';
import { ProjectionRunner } from '@parley/projections';
import { EventPublisher } from '@parley/publishing';

/** How often the inboxes with messages in flight are announced again, and how old those messages are. */
const IN_FLIGHT_ANNOUNCE_MS = 30_000;
const IN_FLIGHT_AGE_MS = 10_000;

export interface DeliveryWorkerOptions {
  readonly kafka: KafkaClient;
  readonly pool: Pool;
  readonly redis: Redis;
  readonly producer: BatchingProducer;
  /** Registered (registerAll): the worker records DeliveryPending, MessageFailed and PresenceChanged. */
  readonly serde: EventSerde;
  readonly topicPrefix: string;
  readonly redisKeyPrefix: string;
  readonly presence: PresenceOptions;
  readonly ttlMs: number;
  readonly retentionMs?: number;
  /** How often the presence sweep and the expiry run (default 1 s). */
  readonly jobsIntervalMs?: number;
  readonly logger?: Logger;
  /** Told of its consumers' retries, dead letters and restarts (ServiceMetrics.kafkaInstrument). */
  readonly instrument?: Instrument;
}

export interface DeliveryWorker {
  /** Its consumers (inbox projection with the notices of chat.messages, presence relay), for readiness (libs/observability consumerChecks). */
  readonly consumers: readonly { progress(): ConsumerProgress }[];
  stop(): Promise<void>;
}

export async function startDeliveryWorker(options: DeliveryWorkerOptions): Promise<DeliveryWorker> {
  const { kafka, pool, redis, producer, serde, topicPrefix, redisKeyPrefix, logger, instrument } = options;
  const publisher = new EventPublisher(producer, serde, topicPrefix);
  const notifier = new InboxNotifier(redis, redisKeyPrefix, logger);
  const presence = new PresenceTracker(redis, redisKeyPrefix, publisher, options.presence, logger);
  const jobs = new DeliveryJobs({
    pool,
    publisher,
    presence,
    ttlMs: options.ttlMs,
    ...(options.retentionMs ? { retentionMs: options.retentionMs } : {}),
    ...(options.jobsIntervalMs ? { intervalMs: options.jobsIntervalMs } : {}),
    ...(logger ? { logger } : {}),
  });
  const notices = new LiveNotices(pool, new ChannelPublisher(redis, redisKeyPrefix, logger), {
    ...(logger ? { logger } : {}),
  });
  const runner = new ProjectionRunner({
    kafka,
    pool,
    serde,
    deadLetters: producer,
    projection: inboxProjection,
    topicPrefix,
    // Partitions in parallel: users are locked in id order, so their transactions cannot deadlock.
    partitionsConcurrently: 12,
    ...(logger ? { logger } : {}),
    ...(instrument ? { instrument } : {}),
    onCommitted: (items) => {
      notifier.announce(items);
      jobs
        .appended(items)
        .catch((error: unknown) => logger?.warn({ err: error }, 'DeliveryPending not recorded'));
    },
    // The live notices of chat.messages (receipts, conversation feeds) from the records this
    // consumer already fetched and decoded: a consumer group of their own cost the broker a fetch
    // and this process a wake-up and a decode per record (docs/decisions.md).
    afterChunk: (items) => notices.relay(items),
  });
  const relay = new LiveRelay({
    kafka,
    serde,
    deadLetters: producer,
    notices,
    topics: ['chat.presence'],
    topicPrefix,
    ...(logger ? { logger } : {}),
    ...(instrument ? { instrument } : {}),
  });
  await Promise.all([runner.start(), relay.start()]);
  // A worker that died between a commit and its notice left online devices without their items:
  // announced when this one starts, and every little while (it may have taken over the partitions
  // of one that died and is not coming back), for items older than a notice's usual way.
  const announceInFlight = (olderThanMs: number) =>
    notifier
      .announceInFlight(pool, olderThanMs)
      .then((inboxes) => {
        if (inboxes > 0) logger?.info({ inboxes }, 'inboxes with items in flight announced');
      })
      .catch((error: unknown) => logger?.warn({ err: error }, 'inboxes in flight not announced'));
  void announceInFlight(0);
  const announcing = setInterval(() => void announceInFlight(IN_FLIGHT_AGE_MS), IN_FLIGHT_ANNOUNCE_MS);
  announcing.unref();
  jobs.start();
  const sweep = startPresenceSweep(presence, {
    wentOffline: (userIds) => jobs.wentOffline(userIds),
    ...(options.jobsIntervalMs ? { intervalMs: options.jobsIntervalMs } : {}),
    ...(logger ? { logger } : {}),
  });
  return {
    consumers: [runner, relay],
    stop: async () => {
      clearInterval(announcing);
      await Promise.all([runner.stop(), relay.stop(), jobs.stop(), sweep.stop()]);
      notifier.stop();
    },
  };
}
