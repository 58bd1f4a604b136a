import { UnavailableError } from '@parley/domain';
import { EVENT_TOPIC, type EventSerde, type ParleyEvent } from '@parley/events';
import { KafkaUnavailableError, type BatchingProducer } from '@parley/kafka';
import { prefixedTopic } from '@parley/topics';

/** The Kafka key of an event: conversation events share their conversation's partition, the rest their user's. */
export function eventKey(event: ParleyEvent): string {
  return 'conversationId' in event ? event.conversationId : event.userId;
}

/** What a client is told to wait before sending again while Kafka does not take events. */
export const KAFKA_RETRY_AFTER_MS = 1_000;

/**
 * Encodes events (Confluent wire format) and sends them to their topics through the batching
 * producer; resolves once Kafka has acknowledged all of them (acks=all). Kafka not acknowledging
 * in time (KAFKA_SEND_TIMEOUT_MS) is an UnavailableError: 503 UNAVAILABLE with `retryAfterMs`.
 */
export class EventPublisher {
  constructor(
    private readonly producer: BatchingProducer,
    private readonly serde: EventSerde,
    private readonly topicPrefix: string,
    private readonly retryAfterMs: number = KAFKA_RETRY_AFTER_MS,
  ) {}

  /**
   * `order` lets a caller keep a line of sends in order while they run concurrently: the records are
   * handed to the producer (whose queue keeps that order into Kafka) only after `order.after`, and
   * `order.handedOver` says when they were (or that they never will be).
   */
  async publish(events: readonly ParleyEvent[], order?: PublishOrder): Promise<void> {
    let acknowledged: Promise<void>;
    try {
      const records = await this.encode(events);
      await order?.after;
      acknowledged = this.producer.send(records);
    } finally {
      order?.handedOver();
    }
    try {
      await acknowledged;
    } catch (error) {
      if (!(error instanceof KafkaUnavailableError)) throw error;
      throw new UnavailableError(
        'the event log (Kafka) is unavailable; try again (resending the same messageId is safe)',
        this.retryAfterMs,
        { cause: error },
      );
    }
  }

  private encode(events: readonly ParleyEvent[]) {
    return Promise.all(
      events.map(async (event) => ({
        topic: prefixedTopic(this.topicPrefix, EVENT_TOPIC[event.type]),
        key: eventKey(event),
        value: await this.serde.encode(event),
        headers: { 'event-type': event.type },
      })),
    );
  }
}

/** Where a publish stands in a line of publishes that must reach Kafka in order. */
export interface PublishOrder {
  /** Resolves once the publishes before this one were handed to the producer (or gave up). */
  readonly after: Promise<void>;
  /** Called once this publish was handed to the producer, or failed before it was. */
  handedOver(): void;
}
