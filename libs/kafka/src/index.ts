export {
  createKafka,
  kafkaSecurityConfig,
  type KafkaClientOptions,
  type KafkaSecurityOptions,
} from './kafka-client';
export {
  BatchingProducer,
  DEFAULT_SEND_TIMEOUT_MS,
  KafkaUnavailableError,
  type BatchingProducerOptions,
} from './batching-producer';
export {
  ConsumerRunner,
  lingeringFetches,
  type ConsumerProgress,
  type ConsumerRunnerOptions,
  type Decoded,
  type FetchBatching,
} from './consumer-runner';
export {
  KafkaAdmin,
  type ProvisionOptions,
  type ProvisionReport,
  type PartitionOffsets,
  type GroupSummary,
  type CatalogueTopicReport,
  type CommittedOffset,
} from './kafka-admin';
export { afterCrash, DEFAULT_RESTART_BACKOFF, type CrashAction, type CrashFacts } from './crash-recovery';
export { readTopic } from './read-topic';
export {
  readRange,
  ReadRangeError,
  type ReadRangeOptions,
  type ReadStart,
  type PartitionPlan,
} from './range-reader';
export {
  DLQ_HEADERS,
  REDRIVE_HEADERS,
  isForGroup,
  deadLetterRecord,
  describeError,
  type FailureStage,
} from './dead-letter';
export {
  KAFKA_EVENTS,
  noInstrument,
  type Instrument,
  type KafkaInstrumentationEvent,
} from './instrumentation';
export {
  classifyError,
  backoffDelay,
  DEFAULT_BACKOFF,
  type BackoffOptions,
  type RetryVerdict,
} from './retry-policy';
export type { IncomingRecord, OutgoingRecord } from './records';
// The client type is re-exported opaquely so apps can pass it around without importing kafkajs.
export type { Kafka as KafkaClient } from 'kafkajs';
