import type { OutgoingRecord } from './records';

/** Names of the instrumentation events, one constant per event (metrics subscribe by name). */
export const KAFKA_EVENTS = {
  producerBatchSent: 'producer.batch_sent',
  producerBatchFailed: 'producer.batch_failed',
  producerSendExpired: 'producer.send_expired',
  producerResent: 'producer.resent',
  consumerBatchProcessed: 'consumer.batch_processed',
  consumerRetry: 'consumer.retry',
  consumerDeadLettered: 'consumer.dead_lettered',
  consumerRestart: 'consumer.restart',
} as const;

export type KafkaInstrumentationEvent =
  | {
      readonly name: typeof KAFKA_EVENTS.producerBatchSent;
      readonly records: number;
      readonly durationMs: number;
    }
  | {
      readonly name: typeof KAFKA_EVENTS.producerBatchFailed;
      readonly records: number;
      readonly durationMs: number;
      readonly error: unknown;
    }
  | {
      /** A send was answered KafkaUnavailableError at its deadline. */
      readonly name: typeof KAFKA_EVENTS.producerSendExpired;
      readonly records: number;
    }
  | {
      /**
       * Records sent again because kafkajs's answer left their partitions out (kafkajs #1303): a
       * first attempt that was written after all is then in the log twice, as for a client's resend.
       */
      readonly name: typeof KAFKA_EVENTS.producerResent;
      readonly records: readonly OutgoingRecord[];
    }
  | {
      readonly name: typeof KAFKA_EVENTS.consumerBatchProcessed;
      readonly groupId: string;
      readonly topic: string;
      readonly partition: number;
      readonly records: number;
      readonly durationMs: number;
      /** Records still behind the end of the partition after this batch. */
      readonly lag: number;
    }
  | {
      readonly name: typeof KAFKA_EVENTS.consumerRetry;
      readonly groupId: string;
      readonly topic: string;
      readonly partition: number;
      readonly attempt: number;
      readonly delayMs: number;
      /** Why the step is tried again: 'transient' ones are retried for as long as it takes. */
      readonly verdict: 'transient' | 'unknown';
      readonly error: unknown;
    }
  | {
      readonly name: typeof KAFKA_EVENTS.consumerDeadLettered;
      readonly groupId: string;
      readonly topic: string;
      readonly partition: number;
      readonly offset: string;
      readonly reason: string;
    }
  | {
      /** kafkajs gave up on a consumer (crashed without restarting it): the runner builds a new one. */
      readonly name: typeof KAFKA_EVENTS.consumerRestart;
      readonly groupId: string;
      /** Rebuilds in a row since the group was last joined. */
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: unknown;
    };

export type Instrument = (event: KafkaInstrumentationEvent) => void;

export const noInstrument: Instrument = () => undefined;
