import { randomUUID } from 'node:crypto';
import type { Logger } from '@parley/logging';
import { MicroBatcher } from '@parley/messaging';
import type { EventPublisher } from '@parley/publishing';
import type { InboxStore } from './inbox-store';

interface Ack {
  readonly userId: string;
  readonly deviceId: string;
  readonly position: number;
}

/**
 * The first ACK of a message by any of its recipient's devices produces MessageDelivered (PROTOCOL
 * §3: delivered once any device ACKs). The inbox row's `delivered_at` decides which ACK is first, so
 * two devices ACKing at once produce one event. ACKs of one event-loop turn share one statement.
 */
export class DeliveryReceipts {
  private readonly batcher: MicroBatcher<Ack, undefined>;

  constructor(
    private readonly store: InboxStore,
    private readonly publisher: EventPublisher,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.batcher = new MicroBatcher((acks) => this.deliverAll(acks));
  }

  acknowledged(userId: string, deviceId: string, positions: readonly number[]): void {
    for (const position of positions) this.record({ userId, deviceId, position }, 0);
  }

  /** Kafka or PostgreSQL unavailable: tried again with backoff, for about a minute. */
  private record(ack: Ack, attempt: number): void {
    this.batcher.submit(ack).catch((error: unknown) => {
      if (attempt >= 6) {
        this.logger?.error(
          { err: error, ...ack },
          'delivery not recorded; the sender will not see delivered',
        );
        return;
      }
      this.logger?.warn({ err: error, ...ack, attempt }, 'delivery not recorded yet; retrying');
      setTimeout(() => this.record(ack, attempt + 1), 1_000 * 2 ** attempt).unref();
    });
  }

  private async deliverAll(acks: readonly Ack[]): Promise<undefined[]> {
    const first = await this.store.markDelivered(acks);
    const deviceOf = new Map(acks.map((a) => [`${a.userId}:${a.position}`, a.deviceId]));
    const events = first.flatMap((item) =>
      item.body.kind === 'message'
        ? [
            {
              type: 'MessageDelivered' as const,
              eventId: randomUUID(),
              occurredAt: this.now(),
              messageId: item.body.messageId,
              conversationId: item.body.conversationId,
              senderId: item.body.senderId,
              recipientId: item.userId,
              deviceId: deviceOf.get(`${item.userId}:${item.position}`) ?? '',
              seq: item.body.seq,
            },
          ]
        : [],
    );
    if (events.length > 0) {
      try {
        await this.publisher.publish(events);
      } catch (error) {
        await this.store.unmarkDelivered(first);
        throw error;
      }
    }
    return acks.map(() => undefined);
  }
}
