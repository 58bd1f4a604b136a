// Wiring only: the analytics projection under its own consumer group, and its HTTP API (libs/analytics).
import { analyticsProjection, pruneAnalytics } from '@parley/analytics';
import { createAnalyticsApp } from '@parley/http-api';
import { TokenService } from '@parley/auth';
import { loadConfig } from '@parley/config';
import { createLogger } from '@parley/logging';
import {
  LagCollector,
  PUBLIC_OPS_ENDPOINTS,
  ServiceMetrics,
  consumerChecks,
  dependencyChecks,
  listening,
  opsMiddleware,
  startOpsServer,
} from '@parley/observability';
import { startProjectionService } from '@parley/projections';
import { runService, type StopService } from '@parley/runtime';

async function start(): Promise<StopService> {
  // Signs and checks tokens: refuses to start without JWT_SECRET.
  const config = loadConfig(process.env, { jwtSecret: 'required' });
  const logger = createLogger('analytics', config.logLevel);
  const metrics = new ServiceMetrics('analytics');
  const service = await startProjectionService({
    instrument: metrics.kafkaInstrument,
    service: 'analytics',
    config,
    logger,
    // Analytics readers are not read models: a group of their own, named for what it is.
    // Its numbers are per minute: the broker may hold a fetch up to ANALYTICS_BATCH_WAIT_MS to fill
    // it, so at everyday rates a transaction takes many events instead of one.
    runs: [
      {
        projection: analyticsProjection,
        groupId: `${config.kafka.topicPrefix}parley.analytics`,
        fetch: { minBytes: 256 * 1024, maxWaitMs: config.analytics.batchWaitMs },
      },
    ],
    poolSize: 6,
  });
  const { admin, pool } = service;
  const ops = {
    metrics,
    lag: new LagCollector(metrics, { admin, pool, topicPrefix: config.kafka.topicPrefix }),
    checks: {
      ...dependencyChecks({ pool, kafka: admin }),
      ...consumerChecks({ admin, consumers: service.consumers, stallAfterMs: config.ops.consumerStallMs }),
    },
  };
  const app = createAnalyticsApp({
    pool,
    tokens: new TokenService(config.auth.jwtSecret),
    adminUsernames: config.auth.adminUsernames,
    adminUserIds: config.accounts.adminUserIds,
    // The API port answers /healthz only; /readyz and /metrics are on the ops listener.
    ops: opsMiddleware(ops, PUBLIC_OPS_ENDPOINTS),
    logger,
  });
  const server = app.listen(config.analytics.port, '127.0.0.1');
  const opsServer = await listening(startOpsServer(config.analytics.opsPort, ops, config.ops.host));
  // Retention: what is kept per message and per user-minute goes after ANALYTICS_RETENTION_MS.
  let pruning: Promise<unknown> = Promise.resolve();
  const prune = () => {
    pruning = pruneAnalytics(pool, new Date(Date.now() - config.analytics.retentionMs)).then(
      (report) => logger.debug(report, 'analytics pruned'),
      (error: unknown) => logger.warn({ err: error }, 'analytics retention failed; the next run retries'),
    );
  };
  prune();
  const pruner = setInterval(prune, 10 * 60_000);
  logger.info(
    { port: config.analytics.port, opsPort: config.analytics.opsPort, opsHost: config.ops.host },
    'analytics running',
  );

  return async () => {
    logger.info('stopping: finishing the transactions in progress');
    server.close();
    opsServer.close();
    clearInterval(pruner);
    await pruning;
    await service.stop();
  };
}

runService('analytics', start);
