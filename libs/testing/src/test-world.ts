import { randomBytes } from 'node:crypto';
import { KafkaAdmin, createKafka, type KafkaClient } from '@parley/kafka';
import { PROJECT_MIGRATIONS, dropDatabase, ensureDatabase, migrate } from '@parley/postgres';
import { TOPIC_CATALOGUE, prefixedTopic } from '@parley/topics';

/** Where the stack that `npm test` brought up lives; integration tests refuse to run without it. */
export interface StackEnv {
  readonly kafkaBrokers: string[];
  readonly schemaRegistryUrl: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
}

export function stackEnv(): StackEnv {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL, REDIS_URL } = process.env;
  if (!KAFKA_BROKERS || !SCHEMA_REGISTRY_URL || !DATABASE_URL || !REDIS_URL) {
    throw new Error(
      'integration tests need the stack: run them through `npm test` (add jest arguments after --)',
    );
  }
  return {
    kafkaBrokers: KAFKA_BROKERS.split(','),
    schemaRegistryUrl: SCHEMA_REGISTRY_URL,
    databaseUrl: DATABASE_URL,
    redisUrl: REDIS_URL,
  };
}

export function randomName(label: string): string {
  return `${label}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** A database URL like the stack's, naming another database. */
export function databaseUrlFor(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A world of one's own on the shared infrastructure: topics under a random prefix (created from the
 * catalogue), a fresh migrated database, and a Kafka client. `dispose` removes all of it.
 */
export interface TestWorld {
  readonly env: StackEnv;
  readonly prefix: string;
  readonly kafka: KafkaClient;
  readonly databaseUrl: string;
  topic(name: string): string;
  dispose(): Promise<void>;
}

export async function createTestWorld(
  label: string,
  options: { database?: boolean } = {},
): Promise<TestWorld> {
  const env = stackEnv();
  const prefix = `${randomName(label)}.`;
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: prefix });
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  await admin.provisionTopics({ prefix, profile: 'local' });
  let databaseUrl = env.databaseUrl;
  if (options.database) {
    databaseUrl = databaseUrlFor(env.databaseUrl, randomName(`t_${label}`).toLowerCase());
    await ensureDatabase(databaseUrl);
    await migrate({ databaseUrl, ...PROJECT_MIGRATIONS });
  }
  return {
    env,
    prefix,
    kafka,
    databaseUrl,
    topic: (name) => prefixedTopic(prefix, name),
    dispose: async () => {
      await admin
        .deleteTopics(TOPIC_CATALOGUE.map((t) => prefixedTopic(prefix, t.name)))
        .catch(() => undefined);
      await admin.disconnect();
      if (options.database) await dropDatabase(databaseUrl);
    },
  };
}
