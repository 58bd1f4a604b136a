// What every benchmark needs: its own stack (fresh topics and database), accounts, tokens, sessions.
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { TokenService } from '@parley/auth';
import { EventSerde } from '@parley/events';
import { BatchingProducer, KafkaAdmin, createKafka } from '@parley/kafka';
import { dropDatabase } from '@parley/postgres';
import { EventPublisher } from '@parley/publishing';
import { TOPIC_CATALOGUE, prefixedTopic } from '@parley/topics';
import {
  freePort,
  setUpStack,
  type AppName,
  type Log,
  type SetUpOptions,
  type Stack,
} from '../stack/stack-setup';
import type { ProcessScope } from './process-cpu';
import { StompLoadClient } from './stomp-load-client';

/** New for each run: the benchmark's gateway accepts no token signed with anything in the repository. */
const BENCH_SECRET = randomBytes(32).toString('base64url');

export interface BenchWorld {
  readonly pool: Pool;
  readonly wsUrl: string;
  /** The stack (its services by name, for fault tests). */
  readonly stack: Stack;
  /** The run's topic prefix (also its apps' TOPIC_PREFIX) and database name: what is ours on /proc. */
  readonly scope: ProcessScope;
  /** A bearer token for `userId`, signed with the run's secret. */
  token(userId: string): Promise<string>;
  /** Waits until the inboxes of `userIds` hold `items` items in all (5 minutes at most). */
  waitForInbox(userIds: readonly string[], items: number): Promise<void>;
  /** Records `count` accounts as UserRegistered events (password hashing is not what is measured). */
  seedUsers(count: number): Promise<string[]>;
  /** Connects one STOMP session per user, 100 at a time; client i is user i. */
  connect(
    users: readonly string[],
    headers?: (i: number) => Record<string, string>,
  ): Promise<StompLoadClient[]>;
  dispose(): Promise<void>;
}

/** The apps a benchmark starts unless it says otherwise: analytics would compete for the two cores. */
const MEASURED_APPS: readonly AppName[] = ['projector', 'delivery', 'gateway'];

export async function startBenchWorld(
  log: Log,
  env: Record<string, string> = {},
  apps: readonly AppName[] = MEASURED_APPS,
  /** Overrides of the stack's options (ports, where service output goes). */
  setUp: Partial<SetUpOptions> = {},
): Promise<BenchWorld> {
  const prefix = `bench-${Date.now().toString(36)}.`;
  // The send limit and the connection cap are raised so the benchmarks measure the path, not the guards.
  Object.assign(process.env, {
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/parley_bench',
    TOPIC_PREFIX: prefix,
    REDIS_KEY_PREFIX: prefix,
    JWT_SECRET: BENCH_SECRET,
    SEND_RATE_PER_SECOND: '100000',
    SEND_RATE_BURST: '100000',
    // Every benchmark session comes from 127.0.0.1: the per-address cap would refuse past 1,000.
    STOMP_MAX_CONNECTIONS_PER_IP: '1000000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...env,
  });
  await dropDatabase(process.env.DATABASE_URL ?? '');
  const gatewayPort = await freePort();
  const stack = await setUpStack({
    log,
    registryPort: await freePort(),
    projectorPort: await freePort(),
    deliveryPort: await freePort(),
    gatewayPort,
    gatewayOpsPort: await freePort(),
    analyticsPort: await freePort(),
    analyticsOpsPort: await freePort(),
    notifierPort: await freePort(),
    apps,
    ...setUp,
  });
  const pool = new Pool({ connectionString: stack.env.DATABASE_URL });
  const kafka = createKafka({ brokers: stack.config.kafka.brokers, clientId: 'parley-bench' });
  const producer = new BatchingProducer(kafka);
  await producer.connect();
  const tokens = new TokenService(BENCH_SECRET);
  const wsUrl = `ws://127.0.0.1:${setUp.gatewayPort ?? gatewayPort}/ws`;
  const clients: StompLoadClient[] = [];

  const token = async (userId: string) => (await tokens.issue(userId, new Date())).token;

  return {
    pool,
    wsUrl,
    stack,
    scope: { topicPrefix: prefix, database: new URL(stack.env.DATABASE_URL ?? '').pathname.slice(1) },
    token,
    waitForInbox: async (userIds, items) => {
      const deadline = Date.now() + 300_000;
      for (;;) {
        if (Date.now() > deadline)
          throw new Error(
            `the inboxes did not reach ${items} items in 5 minutes: is the delivery worker running?`,
          );
        const { rows } = await pool.query<{ n: string }>(
          'SELECT count(*) AS n FROM inbox_items WHERE user_id = ANY($1::text[])',
          [userIds],
        );
        if (Number(rows[0]?.n) >= items) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    seedUsers: async (count) => {
      log(`\nRecording ${count} accounts...`);
      const serde = new EventSerde(stack.env.SCHEMA_REGISTRY_URL ?? '');
      await serde.registerAll();
      const publisher = new EventPublisher(producer, serde, prefix);
      const users = Array.from({ length: count }, () => randomUUID());
      for (let i = 0; i < users.length; i += 5_000) {
        await publisher.publish(
          users.slice(i, i + 5_000).map((userId, j) => ({
            type: 'UserRegistered' as const,
            eventId: randomUUID(),
            occurredAt: Date.now(),
            userId,
            username: `bench_${i + j}_${userId.slice(0, 8)}`,
            displayName: null,
          })),
        );
      }
      for (;;) {
        const { rows } = await pool.query<{ n: string }>(
          'SELECT count(*) AS n FROM users WHERE user_id = ANY($1::text[])',
          [users],
        );
        if (Number(rows[0]?.n) === count) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return users;
    },
    connect: async (users, headers) => {
      const connected: StompLoadClient[] = [];
      for (let i = 0; i < users.length; i += 100) {
        await Promise.all(
          users.slice(i, i + 100).map(async (userId, j) => {
            const client = new StompLoadClient(wsUrl);
            connected[i + j] = client;
            clients.push(client);
            await client.connect(await token(userId), headers?.(i + j));
            client.subscribe('errors', '/user/queue/errors');
          }),
        );
        if (users.length >= 2_000 && (i / 100) % 20 === 19) log(`  ${i + 100} of ${users.length} connected`);
      }
      return connected;
    },
    dispose: async () => {
      for (const client of clients) client.close();
      await producer.disconnect().catch(() => undefined);
      await pool.end();
      // The benchmark's topics go (before the stack, which stops a broker it started); its database
      // stays for a look until the next run.
      const admin = new KafkaAdmin(kafka);
      await admin.connect();
      await admin
        .deleteTopics(TOPIC_CATALOGUE.map((t) => prefixedTopic(prefix, t.name)))
        .catch(() => undefined);
      await admin.disconnect();
      await stack.teardown();
    },
  };
}
