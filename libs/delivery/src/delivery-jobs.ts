import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { ParleyEvent } from '@parley/events';
import type { Logger } from '@parley/logging';
import type { PresenceTracker } from '@parley/presence';
import type { EventPublisher } from '@parley/publishing';
import { messageFailed } from './delivery-receipts';
import type { AppendedItem } from './inbox-projection';

export interface DeliveryJobsOptions {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
  readonly presence: PresenceTracker;
  /** A message not ACKed by any device of its recipient within this time is failed. */
  readonly ttlMs: number;
  /** Inbox items older than this are deleted (devices further behind get a `gap` item). */
  readonly retentionMs?: number;
  /** How often the expiry and the inbox retention run. */
  readonly intervalMs?: number;
  readonly logger?: Logger;
}

/**
 * The delivery worker's timed work and its answer to new items: `DeliveryPending` when a recipient
 * has no device online; `MessageFailed` for messages nobody ACKed within the delivery TTL; inbox
 * retention. (The presence sweep is libs/presence's.)
 */
export class DeliveryJobs {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: DeliveryJobsOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().finally(() => (this.running = undefined));
    }, this.options.intervalMs ?? 1_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** New inbox items: the recipients with no device online get DeliveryPending for their messages. */
  async appended(items: readonly AppendedItem[]): Promise<void> {
    const messages = items.filter((item) => item.kind === 'message' && item.sender_id);
    if (messages.length === 0) return;
    const online = await this.options.presence.onlineOf([...new Set(messages.map((m) => m.user_id))]);
    const events: ParleyEvent[] = messages
      .filter((item) => !online.has(item.user_id))
      .map((item) => ({
        type: 'DeliveryPending',
        eventId: randomUUID(),
        occurredAt: Date.now(),
        messageId: item.message_id,
        conversationId: item.conversation_id,
        senderId: item.sender_id ?? '',
        recipientId: item.user_id,
      }));
    if (events.length > 0) await this.options.publisher.publish(events);
  }

  private async tick(): Promise<void> {
    try {
      await this.expire();
      await this.trim();
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'delivery expiry failed; next tick retries');
    }
  }

  /** Inbox retention: deletes the oldest items past it, a bounded batch per tick. */
  private async trim(): Promise<void> {
    if (!this.options.retentionMs) return;
    await this.options.pool.query(
      `DELETE FROM inbox_items WHERE (user_id, position) IN (
         SELECT user_id, position FROM inbox_items
          WHERE created_at < now() - $1 * interval '1 millisecond' LIMIT 5000)`,
      [this.options.retentionMs],
    );
  }

  /** Fails what was not delivered in time; the rows are marked only once the events are recorded. */
  private async expire(): Promise<void> {
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{
        user_id: string;
        message_id: string;
        conversation_id: string;
        sender_id: string;
      }>(
        `UPDATE inbox_items SET failed_at = now()
          WHERE (user_id, position) IN (
            SELECT user_id, position FROM inbox_items
             WHERE kind = 'message' AND delivered_at IS NULL AND failed_at IS NULL
               AND created_at < now() - $1 * interval '1 millisecond'
             ORDER BY created_at LIMIT 1000 FOR UPDATE SKIP LOCKED)
          RETURNING user_id, message_id, conversation_id, body->>'senderId' AS sender_id`,
        [this.options.ttlMs],
      );
      if (rows.length > 0) {
        await this.options.publisher.publish(
          rows.map((row) =>
            messageFailed(
              {
                userId: row.user_id,
                messageId: row.message_id,
                conversationId: row.conversation_id,
                senderId: row.sender_id,
              },
              'not delivered within the delivery TTL',
            ),
          ),
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
