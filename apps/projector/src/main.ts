// Wiring only: runs every read-model projection of libs/read-models against PostgreSQL.
import { loadConfig } from '@parley/config';
import { lingeringFetches } from '@parley/kafka';
import { createLogger } from '@parley/logging';
import {
  LagCollector,
  ServiceMetrics,
  consumerChecks,
  dependencyChecks,
  listening,
  startOpsServer,
} from '@parley/observability';
import { startProjectionService } from '@parley/projections';
import { ALL_PROJECTIONS } from '@parley/read-models';
import { runService, type StopService } from '@parley/runtime';

async function start(): Promise<StopService> {
  const config = loadConfig();
  const logger = createLogger('projector', config.logLevel);
  const metrics = new ServiceMetrics('projector');
  const fetch = lingeringFetches(config.projector.batchWaitMs);
  const service = await startProjectionService({
    instrument: metrics.kafkaInstrument,
    service: 'projector',
    config,
    logger,
    // The busy read models (chat.messages) may lag by PROJECTOR_BATCH_WAIT_MS for fewer fetches and
    // transactions; the others answer at once (a login waits for its user's row, say).
    runs: ALL_PROJECTIONS.map((projection) =>
      fetch && projection.topics.includes('chat.messages') ? { projection, fetch } : { projection },
    ),
    poolSize: ALL_PROJECTIONS.length + 2,
  });
  const { admin, pool } = service;
  const health = await listening(
    startOpsServer(
      config.projector.port,
      {
        metrics,
        lag: new LagCollector(metrics, { admin, pool, topicPrefix: config.kafka.topicPrefix }),
        checks: {
          ...dependencyChecks({ pool, kafka: admin }),
          ...consumerChecks({
            admin,
            consumers: service.consumers,
            stallAfterMs: config.ops.consumerStallMs,
          }),
        },
      },
      config.ops.host,
    ),
  );
  logger.info(
    { projections: ALL_PROJECTIONS.map((p) => p.name), port: config.projector.port },
    'projector running',
  );

  return async () => {
    logger.info('stopping: finishing the transactions in progress');
    health.close();
    await service.stop();
  };
}

runService('projector', start);
