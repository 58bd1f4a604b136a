import type { Pool } from 'pg';
import type { ParleyEvent } from '@parley/events';
import type { IncomingRecord } from '@parley/kafka';
import type { Logger } from '@parley/logging';
import { ProjectionWatermark } from '@parley/projections';
import { messagesProjection } from '@parley/read-models';
import type { ChannelPublisher } from './live-channels';

/** A decoded record of chat.messages or chat.presence (a consumer's Decoded, as much as notices read). */
export interface LoggedEvent {
  readonly record: Pick<IncomingRecord, 'topic' | 'partition' | 'offset' | 'timestamp'>;
  readonly value: ParleyEvent;
}

/** How many of the newest covered messages a read reports to their senders. */
const READ_RECEIPTS_MAX = 50;

/**
 * Records appended to the log longer ago than this tell nobody anything (5 minutes): notices are
 * live only, and a consumer group moved back (the CLI's offset reset) or reading after a long stop
 * must not replay old receipts to the sessions open now; statuses are read through the history
 * calls. The record's timestamp, not the event's occurredAt: a send whose claim was taken over
 * keeps its first sentAt, and is news when it is appended.
 */
export const LIVE_NOTICES_HORIZON_MS = 5 * 60_000;

/** Reads whose receipts wait for the messages projection at most; beyond, a read's are dropped (logged). */
export const READS_WAITING_MAX = 1_000;

export interface LiveNoticesOptions {
  readonly horizonMs?: number;
  readonly logger?: Logger;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** When the record was appended (its timestamp, ms); the event's own time if it has none. */
function appendedAt({ record, value }: LoggedEvent): number {
  const timestamp = Number(record.timestamp);
  return Number.isFinite(timestamp) && timestamp > 0 ? timestamp : value.occurredAt;
}

/**
 * Live notices from chat.messages and chat.presence (PROTOCOL §3, live only): `/user/queue/receipts`
 * tells senders sent, pending, delivered, read and failed; `/topic/conversation.{id}` carries
 * messages, statuses, reads, edits and deletions; `/user/queue/presence` tells who went on- or
 * offline. It reads no topic itself: the inbox projection's consumer hands it chat.messages after
 * each chunk (one fetch and one decode per record for both), and LiveRelay hands it chat.presence.
 */
export class LiveNotices {
  /** A read's receipts name the messages it covers, from the messages projection's rows. */
  private readonly messagesApplied: ProjectionWatermark;

  /** Read receipts waiting for the messages projection, one after another in log order. */
  private reads: Promise<void> = Promise.resolve();
  private readsWaiting = 0;
  /** Records passed over as too old since the last log line, and when that was. */
  private stale = 0;
  private staleLoggedAt = 0;
  private readonly horizonMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly publisher: ChannelPublisher,
    private readonly options: LiveNoticesOptions = {},
  ) {
    this.messagesApplied = new ProjectionWatermark(pool, messagesProjection.name);
    this.horizonMs = options.horizonMs ?? LIVE_NOTICES_HORIZON_MS;
  }

  /**
   * Publishes the notices of these records, in their order. A record whose notices fail is logged
   * and passed over (notices are live only); the others still go out.
   */
  async relay(items: readonly LoggedEvent[]): Promise<void> {
    const oldest = Date.now() - this.horizonMs;
    let tooOld = 0;
    for (const item of items) {
      if (appendedAt(item) < oldest) {
        tooOld++;
        continue;
      }
      try {
        await this.notify(item);
      } catch (error) {
        this.options.logger?.warn(
          { err: error, eventId: item.value.eventId, type: item.value.type },
          'live notice not sent',
        );
      }
    }
    if (tooOld > 0) this.passedOver(tooOld);
  }

  /** Counts records passed over as too old, logged at most once a minute (a replay brings many). */
  private passedOver(records: number): void {
    this.stale += records;
    const now = Date.now();
    if (now - this.staleLoggedAt < 60_000) return;
    this.options.logger?.info(
      { records: this.stale, horizonMs: this.horizonMs },
      'records appended before the live horizon: no notices for them',
    );
    this.stale = 0;
    this.staleLoggedAt = now;
  }

  private async notify({ record, value: event }: LoggedEvent): Promise<void> {
    const { publisher } = this;
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
        this.afterMessages(record, event.conversationId, event.readerId, upToSeq, event.occurredAt);
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

  /**
   * The reader saw those messages, but these records may be ahead of the projection that writes
   * them (a receipt for a message not yet in the read model would never be sent): the receipts wait
   * for it (at most 2 s, ProjectionWatermark) on a line of their own, so that the caller (the inbox
   * consumer) never waits for the projector.
   */
  private afterMessages(
    record: LoggedEvent['record'],
    conversationId: string,
    readerId: string,
    upToSeq: number,
    at: number,
  ): void {
    if (this.readsWaiting >= READS_WAITING_MAX) {
      this.options.logger?.warn(
        { conversationId, readerId },
        'read receipts dropped: too many reads waiting',
      );
      return;
    }
    this.readsWaiting += 1;
    this.reads = this.reads
      .then(async () => {
        await this.messagesApplied.reached(record.topic, record.partition, BigInt(upToSeq));
        await this.readReceipts(conversationId, readerId, upToSeq, at);
      })
      .catch((error: unknown) =>
        this.options.logger?.warn({ err: error, conversationId }, 'read receipts not sent'),
      )
      .finally(() => {
        this.readsWaiting -= 1;
      });
  }

  /** `/user/queue/presence` of everyone who shares a conversation with the user. */
  private async presenceNotices(userId: string, status: string, lastSeen: number): Promise<void> {
    const { rows } = await this.pool.query<{ user_id: string }>(
      `SELECT DISTINCT other.user_id FROM conversation_members me
         JOIN conversation_members other ON other.conversation_id = me.conversation_id
        WHERE me.user_id = $1 AND me.left_at IS NULL AND other.left_at IS NULL AND other.user_id <> $1`,
      [userId],
    );
    const body = { userId, status: status.toLowerCase(), lastSeen: iso(lastSeen) };
    for (const row of rows) this.publisher.toUser(row.user_id, { queue: 'presence', body });
  }

  /** Tells the senders of the newest messages a read covers that the reader has read them. */
  private async readReceipts(
    conversationId: string,
    readerId: string,
    upToSeq: number,
    at: number,
  ): Promise<void> {
    const { rows } = await this.pool.query<{ message_id: string; sender_id: string; seq: string }>(
      `SELECT message_id, sender_id, seq FROM messages
        WHERE conversation_id = $1 AND seq <= $2 AND sender_id <> $3
        ORDER BY seq DESC LIMIT ${READ_RECEIPTS_MAX}`,
      [conversationId, upToSeq, readerId],
    );
    for (const row of rows) {
      this.publisher.toUser(row.sender_id, {
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
