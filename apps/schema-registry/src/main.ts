// Wiring only: configuration in, a running Confluent-compatible registry out.
import { loadConfig } from '@parley/config';
import { createLogger } from '@parley/logging';
import { startRegistryServer } from '@parley/schema-registry';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('schema-registry', config.logLevel);
  const registry = await startRegistryServer({
    databaseUrl: config.postgres.url,
    port: config.schemaRegistry.port,
    logger,
  });
  logger.info({ url: registry.url }, 'schema registry listening');
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await registry.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`schema-registry failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
