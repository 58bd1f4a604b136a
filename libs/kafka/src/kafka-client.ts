import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '@parley/logging';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger?: Logger;
}

/**
 * The only place that constructs kafkajs. Everything else talks to Parley's own producer, consumer
 * runner and admin types, so the client library can be swapped without touching the apps.
 */
export function createKafka(options: KafkaClientOptions): Kafka {
  const logger = options.logger;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3_000,
    // kafkajs logs retried coordinator hiccups as errors; they are warnings for us.
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!logger) return;
      const { message, ...extra } = entry.log;
      // Partitions are assigned by BatchingProducer (Kafka's murmur2), never by kafkajs's partitioner.
      if (message.includes('switched default partitioner')) return;
      const level = entry.level <= logLevel.WARN ? 'warn' : 'debug';
      logger[level]({ component: `kafkajs.${entry.namespace}`, ...extra }, message);
    },
  });
}
