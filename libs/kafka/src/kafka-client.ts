import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '@parley/logging';
import { fixKafkajsIdleLoop } from './kafkajs-idle-loop-fix';

// Before any client exists: every connection of every client otherwise wakes the process each millisecond.
const idleLoopFixed = fixKafkajsIdleLoop();
let idleLoopWarned = false;

/** TLS (PEM files, read once here) and SASL credentials, as libs/config reads them (KAFKA_SSL*, KAFKA_SASL_*). */
export interface KafkaSecurityOptions {
  readonly ssl?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger?: Logger;
  readonly security?: KafkaSecurityOptions;
}

function readPem(file: string, variable: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${variable}: cannot read ${file} (${(error as Error).message})`);
  }
}

/** kafkajs's `ssl` and `sasl` settings from Parley's; nothing when neither is configured. */
export function kafkaSecurityConfig(security: KafkaSecurityOptions = {}): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { ssl, sasl } = security;
  return {
    ...(ssl
      ? {
          ssl: {
            // Without a CA file the system's trusted CAs verify the brokers; verification is never off.
            rejectUnauthorized: true,
            ...(ssl.caFile ? { ca: [readPem(ssl.caFile, 'KAFKA_SSL_CA_FILE')] } : {}),
            ...(ssl.certFile ? { cert: readPem(ssl.certFile, 'KAFKA_SSL_CERT_FILE') } : {}),
            ...(ssl.keyFile ? { key: readPem(ssl.keyFile, 'KAFKA_SSL_KEY_FILE') } : {}),
          },
        }
      : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: sasl.mechanism,
            username: sasl.username,
            password: sasl.password,
          } as SASLOptions,
        }
      : {}),
  };
}

/**
 * The only place that constructs kafkajs. Everything else talks to Parley's own producer, consumer
 * runner and admin types, so the client library can be swapped without touching the apps.
 */
export function createKafka(options: KafkaClientOptions): Kafka {
  const logger = options.logger;
  if (!idleLoopFixed && logger && !idleLoopWarned) {
    idleLoopWarned = true;
    logger.warn(
      'kafkajs is not the version libs/kafka fixes the idle loop of (kafkajs-idle-loop-fix.ts): check whether it still wakes each connection every millisecond',
    );
  }
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...kafkaSecurityConfig(options.security),
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
