// Wiring only: configuration in, one gateway node (the web app, HTTP /v1 and STOMP /ws) out.
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { TokenService } from '@parley/auth';
import { loadConfig } from '@parley/config';
import { GATEWAY_POOL_CONFIG, logConnectionFailures } from '@parley/postgres';
import { EventSerde } from '@parley/events';
import { BatchingProducer, KafkaAdmin, createKafka } from '@parley/kafka';
import { createSignInProviders } from '@parley/identity-providers';
import { createLogger } from '@parley/logging';
import { LagCollector, ServiceMetrics, dependencyChecks } from '@parley/observability';
import { runService, type StopService } from '@parley/runtime';
import { startGateway } from './gateway';

/**
 * The web app's build (`npm run build`), served at `/`. The gateway runs from dist/apps/gateway/ or,
 * under tsx, from apps/gateway/src/: three levels below the repository either way.
 */
const WEB_APP_DIR = resolve(__dirname, '../../../dist/apps/web');

async function start(): Promise<StopService> {
  // Signs and checks tokens: refuses to start without JWT_SECRET.
  const config = loadConfig(process.env, { jwtSecret: 'required' });
  const logger = createLogger('gateway', config.logLevel);
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-gateway`,
    security: config.kafka.security,
    logger,
  });
  const pool = new Pool({ connectionString: config.postgres.url, max: 20, ...GATEWAY_POOL_CONFIG });
  logConnectionFailures(pool, logger);
  // Redis holds only what may be lost (rate limits, notices): commands fail fast while it is away.
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
  const redisSubscriber = new Redis(config.redis.url);
  for (const client of [redis, redisSubscriber])
    client.on('error', (error) => logger.warn({ err: error }, 'Redis connection problem'));
  const producer = new BatchingProducer(kafka, { sendTimeoutMs: config.kafka.sendTimeoutMs });
  await producer.connect();
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  const metrics = new ServiceMetrics('gateway');
  const serde = new EventSerde(config.schemaRegistry.url);
  await serde.registerAll();
  const gateway = await startGateway({
    kafka,
    pool,
    producer,
    serde,
    redis,
    redisSubscriber,
    redisKeyPrefix: config.redis.keyPrefix,
    tokens: new TokenService(config.auth.jwtSecret),
    topicPrefix: config.kafka.topicPrefix,
    adminUsernames: config.auth.adminUsernames,
    adminUserIds: config.accounts.adminUserIds,
    sendLimit: config.sendLimit,
    readLimit: config.readLimit,
    typingLimit: config.typingLimit,
    lookupLimit: config.lookupLimit,
    groupMembersMax: config.groupMembersMax,
    editWindowMs: config.editWindowMs,
    signInLimits: { ...config.accounts.signInLimits, providerPerAddress: config.signIn.perAddress },
    signIn: {
      providers: createSignInProviders(config.signIn.providers, logger),
      publicBaseUrl: config.signIn.publicBaseUrl,
      mergeVerifiedEmail: config.signIn.mergeVerifiedEmail,
    },
    passwordHashing: config.accounts.passwordHashing,
    trustProxy: config.accounts.trustProxy,
    port: config.gateway.port,
    webAppDir: WEB_APP_DIR,
    maxFrameBytes: config.gateway.maxFrameBytes,
    heartBeatMs: config.gateway.heartBeatMs,
    sessionLimits: config.gateway.sessionLimits,
    presence: config.presence,
    retry: config.delivery.retry,
    inboxWindow: config.delivery.window,
    push: {
      maxSubscriptionsPerUser: config.push.maxSubscriptionsPerUser,
      allowLoopbackHttp: config.push.allowLoopbackHttp,
      vapid: config.push.vapid,
    },
    observability: {
      metrics,
      lag: new LagCollector(metrics, { admin, pool, topicPrefix: config.kafka.topicPrefix }),
      checks: dependencyChecks({ kafka: admin }),
      // /readyz and /metrics on their own listener; the public port answers /healthz only.
      opsListener: { host: config.ops.host, port: config.gateway.opsPort },
    },
    logger,
  });
  logger.info(
    { port: gateway.port, opsPort: gateway.opsPort, opsHost: config.ops.host },
    'gateway listening (web app /, HTTP /v1, STOMP /ws; /readyz and /metrics on the ops port)',
  );

  return async () => {
    logger.info('stopping');
    await gateway.close();
    await producer.disconnect();
    await admin.disconnect();
    redis.disconnect();
    redisSubscriber.disconnect();
    await pool.end();
  };
}

runService('gateway', start);
