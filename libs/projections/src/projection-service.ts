import { Pool } from 'pg';
import type { Config } from '@parley/config';
import { EventSerde } from '@parley/events';
import {
  BatchingProducer,
  KafkaAdmin,
  createKafka,
  type ConsumerProgress,
  type FetchBatching,
  type Instrument,
  type KafkaClient,
} from '@parley/kafka';
import type { Logger } from '@parley/logging';
import {
  PROJECT_MIGRATIONS,
  PROJECTION_POOL_CONFIG,
  ensureDatabase,
  migrate,
  logConnectionFailures,
} from '@parley/postgres';
import type { Projection } from './projection';
import { ProjectionRunner } from './projection-runner';

export interface ProjectionServiceOptions {
  /** Names the Kafka client (`<client id>-<service>`). */
  readonly service: string;
  readonly config: Config;
  readonly logger: Logger;
  /** What to run; each under its own group (default `<prefix>parley.projection.<name>`). */
  readonly runs: readonly {
    readonly projection: Projection;
    readonly groupId?: string;
    readonly fetch?: FetchBatching;
  }[];
  readonly poolSize: number;
  /** Sees the consumers' retries and dead letters (ServiceMetrics.kafkaInstrument). */
  readonly instrument?: Instrument;
}

export interface ProjectionService {
  readonly kafka: KafkaClient;
  readonly pool: Pool;
  /** Connected: for lag metrics and readiness. */
  readonly admin: KafkaAdmin;
  /** The runners' consumers, for readiness (libs/observability consumerChecks). */
  readonly consumers: readonly { progress(): ConsumerProgress }[];
  /** Finishes the transactions in progress, then closes every client. */
  stop(): Promise<void>;
}

/**
 * What a process that runs projections needs, in order: the database created and migrated, the
 * clients, and the runners started (apps/projector and apps/analytics).
 */
export async function startProjectionService(options: ProjectionServiceOptions): Promise<ProjectionService> {
  const { config, logger } = options;
  await ensureDatabase(config.postgres.url);
  await migrate({
    databaseUrl: config.postgres.url,
    ...PROJECT_MIGRATIONS,
    log: (line) => logger.info(line),
  });

  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-${options.service}`,
    security: config.kafka.security,
    logger,
  });
  // Pipeline mode: a projection writes a chunk's transaction in one round trip (applyInOneRoundTrip).
  const pool = new Pool({
    connectionString: config.postgres.url,
    max: options.poolSize,
    ...PROJECTION_POOL_CONFIG,
  });
  logConnectionFailures(pool, logger);
  const deadLetters = new BatchingProducer(kafka, { sendTimeoutMs: config.kafka.sendTimeoutMs });
  await deadLetters.connect();
  const serde = new EventSerde(config.schemaRegistry.url);
  const runners = options.runs.map(
    ({ projection, groupId, fetch }) =>
      new ProjectionRunner({
        kafka,
        pool,
        serde,
        deadLetters,
        projection,
        topicPrefix: config.kafka.topicPrefix,
        ...(groupId ? { groupId } : {}),
        ...(fetch ? { fetch } : {}),
        ...(options.instrument ? { instrument: options.instrument } : {}),
        logger,
      }),
  );
  await Promise.all(runners.map((runner) => runner.start()));
  const admin = new KafkaAdmin(kafka);
  await admin.connect();

  return {
    kafka,
    pool,
    admin,
    consumers: runners,
    stop: async () => {
      await Promise.all(runners.map((runner) => runner.stop()));
      await deadLetters.disconnect();
      await admin.disconnect();
      await pool.end();
    },
  };
}
