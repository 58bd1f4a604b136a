// Test support for the gateway's integration tests: a world of its own with the projections the
// gateway reads, and a gateway node (HTTP API and STOMP endpoint) on a free port.
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { AccountEventPublisher, SignInLimits } from '@parley/accounts';
import { TokenService, type ConcurrencyLimit } from '@parley/auth';
import { startDeliveryWorker, type RetryBudget } from '@parley/delivery';
import type { TokenBucketLimit } from '@parley/domain';
import type { PresenceOptions } from '@parley/presence';
import { EventSerde } from '@parley/events';
import { ServiceMetrics, dependencyChecks } from '@parley/observability';
import { BatchingProducer, KafkaAdmin } from '@parley/kafka';
import { ProjectionRunner, type Projection } from '@parley/projections';
import type { EventPublisher } from '@parley/publishing';
import { ALL_PROJECTIONS } from '@parley/read-models';
import { testPool, createTestWorld, type TestWorld } from '@parley/testing';
import { startGateway, type Gateway, type GatewayOptions } from '../src/gateway';

export const TEST_JWT_SECRET = 'integration-test-secret-of-enough-length!';

export interface GatewayFixture {
  readonly world: TestWorld;
  readonly pool: Pool;
  readonly producer: BatchingProducer;
  readonly serde: EventSerde;
  readonly redis: Redis;
  readonly gateway: Gateway;
  readonly port: number;
  readonly baseUrl: string;
  /** The first node's ops listener (/readyz, /metrics), as main.ts opens it on GATEWAY_OPS_PORT. */
  readonly opsUrl: string;
  /** Another gateway node on the same world (closed by dispose), with options of its own if given. */
  startNode(overrides?: Partial<GatewayOptions>): Promise<Gateway>;
  dispose(): Promise<void>;
}

export interface GatewayFixtureOptions {
  readonly projections?: readonly Projection[];
  readonly maxFrameBytes?: number;
  readonly heartBeatMs?: number;
  readonly sendLimit?: TokenBucketLimit;
  readonly adminUsernames?: readonly string[];
  readonly adminUserIds?: readonly string[];
  /** Sign-in limits (default: high enough that no spec but those about them meets them). */
  readonly signInLimits?: SignInLimits;
  readonly passwordHashing?: ConcurrencyLimit;
  /** Whose X-Forwarded-For to believe (`['loopback']` lets a spec play clients at other addresses). */
  readonly trustProxy?: false | number | readonly string[];
  /** Puts a fault in front of the real publisher for accounts (registration failures). */
  readonly accountsPublisher?: (publisher: EventPublisher) => AccountEventPublisher;
  /** Run the delivery worker's inbox projection too (default true). */
  readonly delivery?: boolean;
  readonly retry?: Partial<RetryBudget>;
  readonly presence?: PresenceOptions;
  readonly deliveryTtlMs?: number;
  readonly sessionLimits?: GatewayOptions['sessionLimits'];
  readonly readLimit?: TokenBucketLimit;
  readonly typingLimit?: TokenBucketLimit;
  readonly lookupLimit?: TokenBucketLimit;
  readonly groupMembersMax?: number;
  /** How long after sending a message may be edited (default: the gateway's, 24 h). */
  readonly editWindowMs?: number;
  /** The producer's deadline per send (KAFKA_SEND_TIMEOUT_MS; default the class's 30 s). */
  readonly sendTimeoutMs?: number;
  /** `/readyz` checks Kafka too, as main.ts wires it (default: PostgreSQL and Redis only). */
  readonly kafkaReadiness?: boolean;
  /** Serve the web app built there at `/`, as main.ts serves dist/apps/web (default: none). */
  readonly webAppDir?: string;
  /** Sign-in providers (default: none). */
  readonly signIn?: GatewayOptions['signIn'];
  /** The first node's port (default: any free one); provider specs need it before the node starts. */
  readonly port?: number;
  /** Push routes (default: 10 subscriptions per user, loopback http endpoints accepted, keys kept in the database). */
  readonly push?: Partial<NonNullable<GatewayOptions['push']>>;
}

export async function startGatewayFixture(
  label: string,
  options: GatewayFixtureOptions = {},
): Promise<GatewayFixture> {
  const world = await createTestWorld(label, { database: true });
  const pool = testPool({ connectionString: world.databaseUrl, max: 20 });
  const producer = new BatchingProducer(
    world.kafka,
    options.sendTimeoutMs ? { sendTimeoutMs: options.sendTimeoutMs } : {},
  );
  await producer.connect();
  const readinessAdmin = options.kafkaReadiness ? new KafkaAdmin(world.kafka) : undefined;
  await readinessAdmin?.connect();
  const serde = new EventSerde(world.env.schemaRegistryUrl);
  await serde.registerAll();
  const redis = new Redis(world.env.redisUrl, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
  const redisSubscriber = new Redis(world.env.redisUrl);
  const runners = (options.projections ?? ALL_PROJECTIONS).map(
    (projection) =>
      new ProjectionRunner({
        kafka: world.kafka,
        pool,
        serde,
        deadLetters: producer,
        projection,
        topicPrefix: world.prefix,
      }),
  );
  await Promise.all(runners.map((runner) => runner.start()));
  const presenceOptions = options.presence ?? { sessionTtlMs: 3_000, offlineGraceMs: 500 };
  const worker =
    options.delivery === false
      ? undefined
      : await startDeliveryWorker({
          kafka: world.kafka,
          pool,
          redis,
          producer,
          serde,
          topicPrefix: world.prefix,
          redisKeyPrefix: world.prefix,
          presence: presenceOptions,
          ttlMs: options.deliveryTtlMs ?? 3_600_000,
          jobsIntervalMs: 200,
        });
  const unlimited = { capacity: 100_000, refillPerSecond: 100_000 };
  const nodeOptions: GatewayOptions = {
    kafka: world.kafka,
    pool,
    producer,
    serde,
    redis,
    redisSubscriber,
    redisKeyPrefix: world.prefix,
    tokens: new TokenService(TEST_JWT_SECRET),
    topicPrefix: world.prefix,
    adminUsernames: options.adminUsernames ?? [],
    adminUserIds: options.adminUserIds ?? [],
    sendLimit: options.sendLimit ?? { capacity: 1_000, refillPerSecond: 1_000 },
    signInLimits: options.signInLimits ?? {
      loginPerUsername: unlimited,
      loginPerAddress: unlimited,
      registerPerAddress: unlimited,
    },
    passwordHashing: options.passwordHashing ?? { concurrency: 2, queueLength: 1_000 },
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(options.accountsPublisher ? { accountsPublisher: options.accountsPublisher } : {}),
    port: 0,
    ...(options.signIn ? { signIn: options.signIn } : {}),
    ...(options.webAppDir ? { webAppDir: options.webAppDir } : {}),
    maxFrameBytes: options.maxFrameBytes ?? 64 * 1024,
    heartBeatMs: options.heartBeatMs ?? 10_000,
    presence: presenceOptions,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.sessionLimits ? { sessionLimits: options.sessionLimits } : {}),
    ...(options.readLimit ? { readLimit: options.readLimit } : {}),
    ...(options.typingLimit ? { typingLimit: options.typingLimit } : {}),
    ...(options.lookupLimit ? { lookupLimit: options.lookupLimit } : {}),
    ...(options.groupMembersMax ? { groupMembersMax: options.groupMembersMax } : {}),
    push: {
      maxSubscriptionsPerUser: 10,
      allowLoopbackHttp: true,
      vapid: { subject: 'mailto:tests@parley.invalid' },
      ...options.push,
    },
    ...(options.editWindowMs !== undefined ? { editWindowMs: options.editWindowMs } : {}),
  };
  // Each node has its metrics and ops listener (on a free port), as main.ts gives it.
  const startNode = (overrides: Partial<GatewayOptions> = {}) =>
    startGateway({
      ...nodeOptions,
      ...overrides,
      observability: {
        metrics: new ServiceMetrics('gateway'),
        opsListener: { host: '127.0.0.1', port: 0 },
        ...(readinessAdmin ? { checks: dependencyChecks({ kafka: readinessAdmin }) } : {}),
      },
    });
  const gateway = await startNode(options.port ? { port: options.port } : {});
  const extraNodes: Gateway[] = [];
  return {
    world,
    pool,
    producer,
    serde,
    redis,
    gateway,
    port: gateway.port,
    baseUrl: `http://127.0.0.1:${gateway.port}`,
    opsUrl: `http://127.0.0.1:${gateway.opsPort}`,
    startNode: async (overrides = {}) => {
      const node = await startNode(overrides);
      extraNodes.push(node);
      return node;
    },
    dispose: async () => {
      await Promise.all([gateway, ...extraNodes].map((node) => node.close()));
      await worker?.stop();
      await Promise.all(runners.map((runner) => runner.stop()));
      await producer.disconnect();
      await readinessAdmin?.disconnect();
      redis.disconnect();
      redisSubscriber.disconnect();
      await pool.end();
      await world.dispose();
    },
  };
}
