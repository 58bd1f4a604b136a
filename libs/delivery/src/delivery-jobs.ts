import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { ParleyEvent } from '@parley/events';
import type { Logger } from '@parley/logging';
import type { PresenceTracker } from '@parley/presence';
import type { EventPublisher } from '@parley/publishing';
import { messageDelivered, messageFailed } from './delivery-receipts';
import type { InboxBody } from './inbox-projection';
import type { AppendedItem } from './inbox-projection';
import { lockInOrder } from './inbox-store';

/** An undelivered item older than this, whose user is offline, is told pending by the periodic catch-up. */
const PENDING_CATCH_UP_AFTER_MS = 10_000;

/**
 * An ACK marked this long ago without its MessageDelivered recorded is published by the catch-up:
 * longer than a gateway's publish normally takes (a duplicate event is harmless, only wasted).
 */
export const DELIVERED_CATCH_UP_AFTER_MS = 10_000;

/** How often the delivery worker vacuums inbox_deliveries_unrecorded (see vacuumUnrecorded). */
export const UNRECORDED_VACUUM_EVERY_MS = 60_000;

interface UndeliveredRow {
  readonly user_id: string;
  readonly position: string;
  readonly message_id: string;
  readonly conversation_id: string;
  readonly sender_id: string | null;
}

interface PendingItem {
  readonly userId: string;
  readonly position: string;
  readonly messageId: string;
  readonly conversationId: string;
  readonly senderId: string;
}

const toPending = (row: UndeliveredRow): PendingItem => ({
  userId: row.user_id,
  position: row.position,
  messageId: row.message_id,
  conversationId: row.conversation_id,
  senderId: row.sender_id ?? '',
});

const deliveryPending = (item: PendingItem): ParleyEvent => ({
  type: 'DeliveryPending',
  eventId: randomUUID(),
  occurredAt: Date.now(),
  messageId: item.messageId,
  conversationId: item.conversationId,
  senderId: item.senderId,
  recipientId: item.userId,
});

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
  /** When a marked, unrecorded delivery is published again (default DELIVERED_CATCH_UP_AFTER_MS). */
  readonly deliveredCatchUpAfterMs?: number;
  /** How often inbox_deliveries_unrecorded is vacuumed (default UNRECORDED_VACUUM_EVERY_MS). */
  readonly vacuumIntervalMs?: number;
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
  private vacuumedAt = 0;

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
    const pending = messages
      .filter((item) => !online.has(item.user_id))
      .map((item) => ({
        userId: item.user_id,
        position: item.position,
        messageId: item.message_id,
        conversationId: item.conversation_id,
        senderId: item.sender_id ?? '',
      }));
    if (pending.length === 0) return;
    await this.options.publisher.publish(pending.map(deliveryPending));
    await this.options.pool.query(
      `WITH q AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS u(user_id, position)),
            locked AS (${lockInOrder('q')})
       UPDATE inbox_items i SET pending_at = now()
         FROM locked
        WHERE i.user_id = locked.user_id AND i.position = locked.position`,
      [pending.map((p) => p.userId), pending.map((p) => p.position)],
    );
  }

  /**
   * Users went offline: what is still undelivered to them is pending for its senders (once per
   * item). The rows are marked only once the events are recorded.
   */
  async wentOffline(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.inTransaction(async (client) => {
      const { rows } = await client.query<UndeliveredRow>(
        `UPDATE inbox_items SET pending_at = now()
          WHERE (user_id, position) IN (
            SELECT user_id, position FROM inbox_items
             WHERE user_id = ANY($1::text[]) AND kind = 'message'
               AND delivered_at IS NULL AND failed_at IS NULL AND pending_at IS NULL
             ORDER BY user_id, position LIMIT 5000 FOR UPDATE SKIP LOCKED)
          RETURNING user_id, position, message_id, conversation_id, body->>'senderId' AS sender_id`,
        [userIds],
      );
      if (rows.length > 0) await this.options.publisher.publish(rows.map(toPending).map(deliveryPending));
    });
  }

  /**
   * A flip whose DeliveryPending was not recorded (the worker stopped, Kafka was away) is caught
   * here: users with items untold for a while who are not online now are treated as gone offline.
   */
  private async catchUpPending(): Promise<void> {
    const { rows } = await this.options.pool.query<{ user_id: string }>(
      `SELECT DISTINCT user_id FROM (
         SELECT user_id FROM inbox_items
          WHERE kind = 'message' AND delivered_at IS NULL AND failed_at IS NULL AND pending_at IS NULL
            AND created_at < now() - $1 * interval '1 millisecond'
          LIMIT 1000) untold`,
      [PENDING_CATCH_UP_AFTER_MS],
    );
    if (rows.length === 0) return;
    const online = await this.options.presence.onlineOf(rows.map((r) => r.user_id));
    await this.wentOffline(rows.map((r) => r.user_id).filter((userId) => !online.has(userId)));
  }

  private async tick(): Promise<void> {
    // Each job on its own: one that keeps failing (an event that cannot be published, say) must not
    // keep the others from running.
    const jobs: [string, () => Promise<void>][] = [
      ['catch-up of recorded deliveries', () => this.recordDeliveries()],
      ['expiry', () => this.expire()],
      ['inbox retention', () => this.trim()],
      ['catch-up of pending deliveries', () => this.catchUpPending()],
      ['vacuum of the unrecorded deliveries', () => this.vacuumUnrecorded()],
    ];
    for (const [job, run] of jobs) {
      try {
        await run();
      } catch (error) {
        this.options.logger?.warn({ err: error, job }, `delivery job failed (${job}); the next tick retries`);
      }
    }
  }

  /**
   * inbox_deliveries_unrecorded takes a row and deletes it for every delivery, and the catch-up reads
   * its oldest end every second: without a VACUUM that index range is a walk over every dead entry
   * since the last one (200 ms after 1.2 million deliveries; 0.5 ms once vacuumed). Autovacuum may be
   * off (this project's CI machine runs without it) or far behind, so the worker vacuums the table
   * itself, now and then; a table that small takes milliseconds. Another worker vacuuming it
   * meanwhile is skipped, not waited for.
   */
  private async vacuumUnrecorded(): Promise<void> {
    const every = this.options.vacuumIntervalMs ?? UNRECORDED_VACUUM_EVERY_MS;
    if (Date.now() - this.vacuumedAt < every) return;
    this.vacuumedAt = Date.now();
    await this.options.pool.query('VACUUM (SKIP_LOCKED) inbox_deliveries_unrecorded');
  }

  /**
   * Inbox retention: deletes the oldest items past it, a bounded batch per tick. In created_at
   * order, which the index gives: without an order, a plan made before the table's first ANALYZE
   * (it expects a third of the rows to be past retention) read the whole table every tick to find
   * nothing, 44-158 ms a second at 70,000 items and growing with the inbox.
   */
  private async trim(): Promise<void> {
    if (!this.options.retentionMs) return;
    await this.options.pool.query(
      `DELETE FROM inbox_items WHERE (user_id, position) IN (
         SELECT user_id, position FROM inbox_items
          WHERE created_at < now() - $1 * interval '1 millisecond' ORDER BY created_at LIMIT 5000)`,
      [this.options.retentionMs],
    );
  }

  private async inTransaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * ACKs marked whose MessageDelivered was not recorded (the gateway crashed or Kafka refused in
   * between): published now, and their rows in inbox_deliveries_unrecorded deleted in the same
   * transaction.
   */
  private async recordDeliveries(): Promise<void> {
    await this.inTransaction(async (client) => {
      // Every second, mostly to find nothing: once the dead rows' pages push the estimate past
      // jit_above_cost, compiling the plan cost more than running it (about 10 ms a tick).
      await client.query('SET LOCAL jit = off');
      const { rows } = await client.query<{
        user_id: string;
        position: string;
        body: InboxBody;
        delivered_device_id: string | null;
        delivered_at: Date;
      }>(
        // A row whose item the retention trimmed meanwhile goes with nothing to publish.
        `WITH due AS (
           DELETE FROM inbox_deliveries_unrecorded
            WHERE (user_id, position) IN (
              SELECT user_id, position FROM inbox_deliveries_unrecorded
               WHERE delivered_at < now() - $1 * interval '1 millisecond'
               ORDER BY delivered_at LIMIT 1000 FOR UPDATE SKIP LOCKED)
            RETURNING user_id, position, delivered_at)
         SELECT i.user_id, i.position, i.body, i.delivered_device_id, due.delivered_at
           FROM due JOIN inbox_items i ON i.user_id = due.user_id AND i.position = due.position`,
        [this.options.deliveredCatchUpAfterMs ?? DELIVERED_CATCH_UP_AFTER_MS],
      );
      const events = rows.flatMap((row) =>
        messageDelivered(
          { userId: row.user_id, position: Number(row.position), body: row.body },
          row.delivered_device_id ?? '',
          // When the device ACKed, not when this catch-up ran: analytics measures send→deliver by it.
          row.delivered_at.getTime(),
        ),
      );
      if (events.length === 0) return;
      await this.options.publisher.publish(events);
      this.options.logger?.info({ deliveries: events.length }, 'recorded deliveries a gateway had not');
    });
  }

  /** Fails what was not delivered in time; the rows are marked only once the events are recorded. */
  private async expire(): Promise<void> {
    await this.inTransaction(async (client) => {
      const { rows } = await client.query<UndeliveredRow>(
        `UPDATE inbox_items SET failed_at = now()
          WHERE (user_id, position) IN (
            SELECT user_id, position FROM inbox_items
             WHERE kind = 'message' AND delivered_at IS NULL AND failed_at IS NULL
               AND created_at < now() - $1 * interval '1 millisecond'
             ORDER BY created_at LIMIT 1000 FOR UPDATE SKIP LOCKED)
          RETURNING user_id, position, message_id, conversation_id, body->>'senderId' AS sender_id`,
        [this.options.ttlMs],
      );
      if (rows.length > 0)
        await this.options.publisher.publish(
          rows.map((row) => messageFailed(toPending(row), 'not delivered within the delivery TTL')),
        );
    });
  }
}
