import type { EventSerde, ParleyEvent } from '@parley/events';
import {
  ConsumerRunner,
  type BatchingProducer,
  type ConsumerProgress,
  type Instrument,
  type KafkaClient,
} from '@parley/kafka';
import type { Logger } from '@parley/logging';
import { prefixedTopic, type TopicName } from '@parley/topics';
import type { LiveNotices } from './live-notices';

export interface LiveRelayOptions {
  readonly kafka: KafkaClient;
  readonly serde: EventSerde;
  readonly deadLetters: BatchingProducer;
  readonly notices: LiveNotices;
  /**
   * The topics it reads: those no other consumer hands to the notices (the delivery worker's inbox
   * projection hands them chat.messages, so it gives chat.presence only).
   */
  readonly topics: readonly TopicName[];
  readonly topicPrefix: string;
  readonly logger?: Logger;
  readonly instrument?: Instrument;
}

/**
 * The live notices (LiveNotices) of topics no other consumer hands them: a consumer group of its
 * own that starts at the end of the log, since what happened while nobody listened is read through
 * the history calls.
 */
export class LiveRelay {
  private readonly consumer: ConsumerRunner<ParleyEvent>;

  constructor(options: LiveRelayOptions) {
    this.consumer = new ConsumerRunner<ParleyEvent>(options.kafka, {
      groupId: `${options.topicPrefix}parley.live-relay`,
      topics: options.topics.map((t) => prefixedTopic(options.topicPrefix, t)),
      decode: (record) => options.serde.decode(record.value ?? Buffer.alloc(0)),
      handle: (items) => options.notices.relay(items),
      deadLetters: options.deadLetters,
      fromBeginning: false,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.instrument ? { instrument: options.instrument } : {}),
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  /** Its consumer's state and progress (for the service's readiness). */
  progress(): ConsumerProgress {
    return this.consumer.progress();
  }
}
