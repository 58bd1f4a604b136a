import type { Pool } from 'pg';
import type { EventSerde, ParleyEvent } from '@parley/events';
import {
  ConsumerRunner,
  type BatchingProducer,
  type ConsumerProgress,
  type Decoded,
  type Instrument,
  type KafkaClient,
} from '@parley/kafka';
import type { Logger } from '@parley/logging';
import { ProjectionWatermark } from '@parley/projections';
import { messagesProjection } from '@parley/read-models';
import { prefixedTopic } from '@parley/topics';
import type { ChannelPublisher } from './live-channels';

export interface LiveRelayOptions {
  readonly kafka: KafkaClient;
  readonly pool: Pool;
  readonly serde: EventSerde;
  readonly deadLetters: BatchingProducer;
  readonly publisher: ChannelPublisher;
  readonly topicPrefix: string;
  readonly logger?: Logger;
  readonly instrument?: Instrument;
}

/** How many of the newest covered messages a read reports to their senders. */
const READ_RECEIPTS_MAX = 50;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Live notices from chat.messages and chat.presence (PROTOCOL §3, live only): `/user/queue/receipts`
 * tells senders sent, pending, delivered, read and failed; `/topic/conversation.{id}` carries
 * messages, statuses, reads, edits and deletions; `/user/queue/presence` tells who went on- or offline. A consumer group of its own that starts at the end of the log: what happened
 * while nobody listened is read through the history calls.
 */
export class LiveRelay {
  private readonly consumer: ConsumerRunner<ParleyEvent>;
  /** A read's receipts name the messages it covers, from the messages projection's rows. */
  private readonly messagesApplied: ProjectionWatermark;

  constructor(private readonly options: LiveRelayOptions) {
    this.messagesApplied = new ProjectionWatermark(options.pool, messagesProjection.name);
    this.consumer = new ConsumerRunner<ParleyEvent>(options.kafka, {
      groupId: `${options.topicPrefix}parley.live-relay`,
      topics: [
        prefixedTopic(options.topicPrefix, 'chat.messages'),
        prefixedTopic(options.topicPrefix, 'chat.presence'),
      ],
      decode: (record) => options.serde.decode(record.value ?? Buffer.alloc(0)),
      handle: (items) => this.relay(items),
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

  private async relay(items: readonly Decoded<ParleyEvent>[]): Promise<void> {
    const { publisher } = this.options;
    for (const { record, value: event } of items) {
      const seq = Number(record.offset);
      switch (event.type) {
        case 'MessageSent':
          publisher.toConversation(event.conversationId, {
            kind: 'message',
            messageId: event.messageId,
            conversationId: event.conversationId,
            seq,
            senderId: event.senderId,
            text: event.text,
            sentAt: iso(event.occurredAt),
          });
          publisher.toUser(event.senderId, {
            queue: 'receipts',
            body: {
              messageId: event.messageId,
              conversationId: event.conversationId,
              recipientId: event.recipientId,
              status: 'sent',
              seq,
              at: iso(event.occurredAt),
            },
          });
          break;
        case 'DeliveryPending':
        case 'MessageDelivered':
        case 'MessageFailed': {
          const status = {
            DeliveryPending: 'pending',
            MessageDelivered: 'delivered',
            MessageFailed: 'failed',
          }[event.type];
          const body = {
            messageId: event.messageId,
            conversationId: event.conversationId,
            recipientId: event.recipientId,
            status,
            ...(event.type === 'MessageDelivered' ? { seq: event.seq } : {}),
            at: iso(event.occurredAt),
          };
          publisher.toUser(event.senderId, { queue: 'receipts', body });
          publisher.toConversation(event.conversationId, { kind: 'status', ...body });
          break;
        }
        case 'MessageRead': {
          const upToSeq = Math.min(event.upToSeq, seq);
          publisher.toConversation(event.conversationId, {
            kind: 'read',
            conversationId: event.conversationId,
            readerId: event.readerId,
            upToSeq,
            at: iso(event.occurredAt),
          });
          // The reader saw those messages, but this relay may be ahead of the projection that
          // writes them: a receipt for a message not yet in the read model would never be sent.
          await this.messagesApplied.reached(record.topic, record.partition, BigInt(upToSeq));
          await this.readReceipts(event.conversationId, event.readerId, upToSeq, event.occurredAt);
          break;
        }
        case 'MessageDeleted':
          if (event.scope === 'EVERYONE')
            publisher.toConversation(event.conversationId, {
              kind: 'deleted',
              messageId: event.messageId,
              conversationId: event.conversationId,
            });
          break;
        case 'MessageEdited':
          // Every edit as it is recorded; a client drops one of a message it holds as deleted.
          publisher.toConversation(event.conversationId, {
            kind: 'edited',
            messageId: event.messageId,
            conversationId: event.conversationId,
            editId: event.editId,
            text: event.text,
            editedAt: iso(event.occurredAt),
          });
          break;
        case 'PresenceChanged':
          await this.presenceNotices(event.userId, event.status, event.lastSeen);
          break;
        default:
          break;
      }
    }
  }

  /** `/user/queue/presence` of everyone who shares a conversation with the user. */
  private async presenceNotices(userId: string, status: string, lastSeen: number): Promise<void> {
    const { rows } = await this.options.pool.query<{ user_id: string }>(
      `SELECT DISTINCT other.user_id FROM conversation_members me
         JOIN conversation_members other ON other.conversation_id = me.conversation_id
        WHERE me.user_id = $1 AND me.left_at IS NULL AND other.left_at IS NULL AND other.user_id <> $1`,
      [userId],
    );
    const body = { userId, status: status.toLowerCase(), lastSeen: iso(lastSeen) };
    for (const row of rows) this.options.publisher.toUser(row.user_id, { queue: 'presence', body });
  }

  /** Tells the senders of the newest messages a read covers that the reader has read them. */
  private async readReceipts(
    conversationId: string,
    readerId: string,
    upToSeq: number,
    at: number,
  ): Promise<void> {
    const { rows } = await this.options.pool.query<{ message_id: string; sender_id: string; seq: string }>(
      `SELECT message_id, sender_id, seq FROM messages
        WHERE conversation_id = $1 AND seq <= $2 AND sender_id <> $3
        ORDER BY seq DESC LIMIT ${READ_RECEIPTS_MAX}`,
      [conversationId, upToSeq, readerId],
    );
    for (const row of rows) {
      this.options.publisher.toUser(row.sender_id, {
        queue: 'receipts',
        body: {
          messageId: row.message_id,
          conversationId,
          recipientId: readerId,
          status: 'read',
          seq: Number(row.seq),
          at: iso(at),
        },
      });
    }
  }
}
