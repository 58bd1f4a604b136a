import { randomUUID } from 'node:crypto';
import type { ParleyEvent } from '@parley/events';
import type { Logger } from '@parley/logging';
import { MicroBatcher } from '@parley/runtime';
import type { EventPublisher } from '@parley/publishing';
import type { InboxItem, InboxStore } from './inbox-store';

interface Ack {
  readonly userId: string;
  readonly deviceId: string;
  readonly position: number;
}

/** The event telling a sender that one recipient will not get a message (TTL or retry budget). */
export function messageFailed(
  item: { userId: string; messageId: string; conversationId: string; senderId: string },
  reason: string,
  now: number = Date.now(),
): ParleyEvent {
  return {
    type: 'MessageFailed',
    eventId: randomUUID(),
    occurredAt: now,
    messageId: item.messageId,
    conversationId: item.conversationId,
    senderId: item.senderId,
    recipientId: item.userId,
    reason,
  };
}

/** The event telling a sender that a device of the recipient ACKed a message. */
export function messageDelivered(
  item: InboxItem & { userId: string },
  deviceId: string,
  now: number = Date.now(),
): ParleyEvent[] {
  if (item.body.kind !== 'message') return [];
  return [
    {
      type: 'MessageDelivered',
      eventId: randomUUID(),
      occurredAt: now,
      messageId: item.body.messageId,
      conversationId: item.body.conversationId,
      senderId: item.body.senderId,
      recipientId: item.userId,
      deviceId,
      seq: item.body.seq,
    },
  ];
}

export interface DeliveryReceiptsOptions {
  readonly store: InboxStore;
  readonly publisher: EventPublisher;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** How long "recorded" marks wait to share a statement (default RECORDED_MARKS_LINGER_MS). */
  readonly recordedMarksLingerMs?: number;
  /** How long MessageDelivered events wait to share a produce (default DELIVERED_LINGER_MS). */
  readonly deliveredLingerMs?: number;
  /** Told, for each first delivery, how long after its send it came (send→deliver latency). */
  readonly onDelivered?: (sendToDeliverMs: number) => void;
}

/**
 * The outcome of delivery attempts for senders. The first ACK of a message by any of its
 * recipient's devices produces MessageDelivered (PROTOCOL §3: delivered once any device ACKs); the
 * inbox row's `delivered_at` decides which ACK is first, so two devices ACKing at once produce one
 * event. ACKs of one event-loop turn share one statement. The mark comes first and stays: the event
 * is published next (events of DELIVERED_LINGER_MS share a produce), then its note in
 * inbox_deliveries_unrecorded is deleted; a crash or a Kafka failure in between leaves a marked row
 * with its note, which the delivery worker's catch-up publishes (DeliveryJobs), and nothing fails a
 * marked row. A device that spent its retry budget on an
 * item produces MessageFailed, once per recipient, unless the message was delivered already.
 */
/**
 * How long "recorded" marks wait to share a statement. They only keep the delivery worker's catch-up
 * (which looks after DELIVERED_CATCH_UP_AFTER_MS, 10 s) from publishing a MessageDelivered again, so
 * they need not cost a statement per delivered message.
 */
const RECORDED_MARKS_LINGER_MS = 250;

/**
 * How long a MessageDelivered waits for others to share its produce. It tells the sender, not the
 * recipient, and the mark it follows is already durable; at everyday rates each would otherwise be a
 * produce of its own, and each produce also wakes the delivery worker's fetch (about two broker
 * requests per ACK at 50 msgs/s, docs/status.md session 15).
 */
const DELIVERED_LINGER_MS = 100;

/** A first delivery, marked and noted, whose MessageDelivered is on its way. */
interface Delivery {
  readonly item: InboxItem & { userId: string };
  readonly event: ParleyEvent;
  readonly at: number;
}

export class DeliveryReceipts {
  private readonly batcher: MicroBatcher<Ack, undefined>;
  private readonly delivered: MicroBatcher<Delivery, undefined>;
  private readonly recorded: MicroBatcher<InboxItem & { userId: string }, undefined>;

  private readonly store: InboxStore;
  private readonly publisher: EventPublisher;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private readonly outstanding = new Set<Promise<void>>();

  constructor(private readonly options: DeliveryReceiptsOptions) {
    this.store = options.store;
    this.publisher = options.publisher;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    // Serial: a replay's thousands of ACKs become a few large batches, one at a time, instead of
    // hundreds of concurrent small ones queueing for the pool ahead of the replay's own reads.
    this.batcher = new MicroBatcher((acks) => this.deliverAll(acks), { serial: true, maxBatch: 5_000 });
    this.delivered = new MicroBatcher((deliveries) => this.publishDelivered(deliveries), {
      lingerMs: options.deliveredLingerMs ?? DELIVERED_LINGER_MS,
      maxBatch: 5_000,
    });
    this.recorded = new MicroBatcher((items) => this.markRecorded(items), {
      lingerMs: options.recordedMarksLingerMs ?? RECORDED_MARKS_LINGER_MS,
      maxBatch: 5_000,
    });
  }

  acknowledged(userId: string, deviceId: string, positions: readonly number[]): void {
    for (const position of positions) this.record({ userId, deviceId, position });
  }

  /** Items a device was given `maxAttempts` times without an ACK. */
  exhausted(userId: string, _deviceId: string, items: readonly InboxItem[]): void {
    const positions = items.map((item) => ({ userId, position: item.position }));
    this.track(retrying(() => this.failAll(positions), this.logger, { userId, what: 'delivery failure' }));
  }

  /**
   * Resolves once every outcome handed in so far is recorded (or given up on), or after `timeoutMs`:
   * a node shutting down waits for this before it lets go of PostgreSQL and Kafka, so an ACK it
   * took is not lost on the way out.
   */
  async drained(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.outstanding])
        .then(() => this.delivered.drained())
        .then(() => this.recorded.drained()),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private track(work: Promise<void>): void {
    this.outstanding.add(work);
    void work.finally(() => this.outstanding.delete(work));
  }

  private async failAll(items: readonly { userId: string; position: number }[]): Promise<void> {
    const failed = await this.store.markFailed(items);
    const events = failed.flatMap((item) =>
      item.body.kind === 'message'
        ? [messageFailed({ userId: item.userId, ...item.body }, 'retry budget spent', this.now())]
        : [],
    );
    if (events.length === 0) return;
    try {
      await this.publisher.publish(events);
    } catch (error) {
      await this.store.unmarkFailed(failed);
      throw error;
    }
  }

  /** Kafka or PostgreSQL unavailable: tried again with backoff, for about a minute. */
  private record(ack: Ack): void {
    this.track(retrying(() => this.batcher.submit(ack), this.logger, { ...ack, what: 'delivery' }));
  }

  /**
   * Marks the ACKed items; each first delivery's MessageDelivered then lingers for others (the ACK's
   * answer does not wait for it). markDelivered marks messages only, so each has its event.
   */
  private async deliverAll(acks: readonly Ack[]): Promise<undefined[]> {
    const first = await this.store.markDelivered(acks);
    const deviceOf = new Map(acks.map((a) => [`${a.userId}:${a.position}`, a.deviceId]));
    const at = this.now();
    for (const item of first) {
      const [event] = messageDelivered(item, deviceOf.get(`${item.userId}:${item.position}`) ?? '', at);
      // publishDelivered never rejects; a failure here would be a bug, logged rather than crashing.
      if (event) this.delivered.submit({ item, event, at }).catch((error: unknown) => this.unexpected(error));
    }
    return acks.map(() => undefined);
  }

  /** Never fails: what is not published stays noted, and the delivery worker's catch-up publishes it. */
  private async publishDelivered(deliveries: readonly Delivery[]): Promise<undefined[]> {
    try {
      await this.publisher.publish(deliveries.map((d) => d.event));
    } catch (error) {
      this.logger?.warn(
        { err: error, deliveries: deliveries.length },
        'MessageDelivered not recorded yet; the delivery worker catches up',
      );
      return deliveries.map(() => undefined);
    }
    for (const { item, at } of deliveries) {
      this.recorded.submit(item).catch((error: unknown) => this.unexpected(error));
      try {
        if (item.body.kind === 'message') this.options.onDelivered?.(at - Date.parse(item.body.sentAt));
      } catch (error) {
        // A metric that refuses a value (NaN from a body without sentAt) must not undo the batch.
        this.unexpected(error);
      }
    }
    return deliveries.map(() => undefined);
  }

  private unexpected(error: unknown): void {
    this.logger?.error({ err: error }, 'delivery receipts: unexpected failure');
  }

  /** Never fails: an item left unmarked is published again by the catch-up (consumers take it twice). */
  private async markRecorded(items: readonly (InboxItem & { userId: string })[]): Promise<undefined[]> {
    try {
      await this.store.markRecorded(items);
    } catch (error) {
      this.logger?.warn({ err: error, deliveries: items.length }, 'deliveries not marked recorded');
    }
    return items.map(() => undefined);
  }
}

/** Kafka or PostgreSQL unavailable: `step` is tried again with backoff (1 s doubling), for about a minute. */
async function retrying(
  step: () => Promise<unknown>,
  logger: Logger | undefined,
  context: Record<string, unknown> & { what: string },
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await step();
      return;
    } catch (error) {
      if (attempt >= 6) {
        logger?.error(
          { err: error, ...context },
          `${context.what} not recorded; the sender will not be told`,
        );
        return;
      }
      logger?.warn({ err: error, ...context, attempt }, `${context.what} not recorded yet; retrying`);
      await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** attempt).unref());
    }
  }
}
