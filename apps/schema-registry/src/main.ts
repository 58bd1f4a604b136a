// Wiring only: configuration in, a running Confluent-compatible registry out.
import { loadConfig } from '@parley/config';
import { createLogger } from '@parley/logging';
import { runService, type StopService } from '@parley/runtime';
import { startRegistryServer } from '@parley/schema-registry';

async function start(): Promise<StopService> {
  const config = loadConfig();
  const logger = createLogger('schema-registry', config.logLevel);
  const registry = await startRegistryServer({
    databaseUrl: config.postgres.url,
    port: config.schemaRegistry.port,
    logger,
  });
  logger.info({ url: registry.url }, 'schema registry listening');
  return async () => {
    logger.info('shutting down');
    await registry.close();
  };
}

runService('schema-registry', start);
