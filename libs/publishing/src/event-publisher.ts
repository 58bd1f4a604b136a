import { EVENT_TOPIC, type EventSerde, type ParleyEvent } from '@parley/events';
import type { BatchingProducer } from '@parley/kafka';
import { prefixedTopic } from '@parley/topics';

/** The Kafka key of an event: conversation events share their conversation's partition, the rest their user's. */
export function eventKey(event: ParleyEvent): string {
  return 'conversationId' in event ? event.conversationId : event.userId;
}

/**
 * Encodes events (Confluent wire format) and sends them to their topics through the batching
 * producer; resolves once Kafka has acknowledged all of them (acks=all).
 */
export class EventPublisher {
  constructor(
    private readonly producer: BatchingProducer,
    private readonly serde: EventSerde,
    private readonly topicPrefix: string,
  ) {}

  async publish(events: readonly ParleyEvent[]): Promise<void> {
    const records = await Promise.all(
      events.map(async (event) => ({
        topic: prefixedTopic(this.topicPrefix, EVENT_TOPIC[event.type]),
        key: eventKey(event),
        value: await this.serde.encode(event),
        headers: { 'event-type': event.type },
      })),
    );
    await this.producer.send(records);
  }
}
