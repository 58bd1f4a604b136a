// The notifier's state in PostgreSQL: the pending messages it was told of (`push_pending`), and per
// user and conversation when the next notification is due and who holds it (`push_threads`). The
// rules (when due, who is told) are notification-rules.ts'; this file only reads and writes.
import type { Pool } from 'pg';
import { inTransaction } from '@parley/postgres';
import type { AccountStatus } from '@parley/domain';
import { dueAt, type CollapseRules, type PendingMessageFacts, type SkipReason } from './notification-rules';

/** A DeliveryPending the notifier keeps. */
export interface PendingNotice {
  readonly userId: string;
  readonly messageId: string;
  readonly conversationId: string;
  readonly senderId: string;
}

/** A thread the notifier holds for now: its messages are to be told (or dropped). */
export interface ClaimedThread {
  readonly userId: string;
  readonly conversationId: string;
}

/** How each pending message ended: `notified`, `failed`, or why it was not told. */
export type PendingOutcome = 'notified' | 'failed' | SkipReason;

const threadKey = (t: ClaimedThread) => `${t.userId}\0${t.conversationId}`;

export class NotifierStore {
  constructor(
    private readonly pool: Pool,
    private readonly rules: CollapseRules,
  ) {}

  /**
   * Keeps new pending messages (one row per user and message: an event read twice adds nothing) and
   * makes their threads due: a thread with nothing pending gets `dueAt` from now; one already due
   * keeps its time, so a burst joins the notification that is coming. Answers how many were new.
   */
  async record(notices: readonly PendingNotice[], now: number): Promise<number> {
    if (notices.length === 0) return 0;
    return inTransaction(this.pool, async (client) => {
      const { rows: added } = await client.query<{ user_id: string; conversation_id: string }>(
        `INSERT INTO push_pending (user_id, message_id, conversation_id, sender_id, received_at)
         SELECT u, m, c, s, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS n(u, m, c, s)
         ON CONFLICT (user_id, message_id) DO NOTHING
         RETURNING user_id, conversation_id`,
        [
          notices.map((n) => n.userId),
          notices.map((n) => n.messageId),
          notices.map((n) => n.conversationId),
          notices.map((n) => n.senderId),
          new Date(now),
        ],
      );
      // Each thread once, in one order: two transactions locking threads cannot deadlock.
      const threads = [...new Map(added.map((r) => [`${r.user_id}\0${r.conversation_id}`, r])).values()].sort(
        (a, b) => a.user_id.localeCompare(b.user_id) || a.conversation_id.localeCompare(b.conversation_id),
      );
      if (threads.length === 0) return 0;
      // Upserted rows stay locked until commit (a clean-up deleting an idle thread waits).
      const { rows } = await client.query<{
        user_id: string;
        conversation_id: string;
        due_at: Date | null;
        last_notified_at: Date | null;
      }>(
        `INSERT INTO push_threads AS t (user_id, conversation_id)
         SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (user_id, conversation_id) DO UPDATE SET user_id = t.user_id
         RETURNING user_id, conversation_id, due_at, last_notified_at`,
        [threads.map((t) => t.user_id), threads.map((t) => t.conversation_id)],
      );
      const becomeDue = rows.filter((row) => row.due_at === null);
      if (becomeDue.length > 0)
        await client.query(
          `UPDATE push_threads t SET due_at = d.due_at
             FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS d(user_id, conversation_id, due_at)
            WHERE t.user_id = d.user_id AND t.conversation_id = d.conversation_id`,
          [
            becomeDue.map((r) => r.user_id),
            becomeDue.map((r) => r.conversation_id),
            becomeDue.map(
              (r) =>
                new Date(
                  dueAt(
                    { firstPendingAt: now, lastNotifiedAt: r.last_notified_at?.getTime() ?? null },
                    this.rules,
                  ),
                ),
            ),
          ],
        );
      return added.length;
    });
  }

  /**
   * Takes up to `limit` due threads nobody holds, until `leaseUntil`. Several notifiers may run: the
   * rows are taken with SKIP LOCKED and the lease keeps them for the one that took them; a notifier
   * that dies lets them go when the lease ends (its work is then done again: a duplicate at worst).
   */
  async claimDue(now: number, limit: number, leaseUntil: number): Promise<ClaimedThread[]> {
    const { rows } = await this.pool.query<{ user_id: string; conversation_id: string }>(
      `UPDATE push_threads SET claimed_until = $2
        WHERE (user_id, conversation_id) IN (
          SELECT user_id, conversation_id FROM push_threads
           WHERE due_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
           ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING user_id, conversation_id`,
      [new Date(now), new Date(leaseUntil), limit],
    );
    return rows.map((r) => ({ userId: r.user_id, conversationId: r.conversation_id }));
  }

  /**
   * The thread's pending messages with what the read models say of each for its recipient: the
   * inbox item (text, seq, whether a device ACKed it), the sender's view of its status, the
   * recipient's read position, and deletions (for everybody, or hidden by the recipient).
   */
  async pendingFacts(thread: ClaimedThread): Promise<PendingMessageFacts[]> {
    const { rows } = await this.pool.query<{
      message_id: string;
      sender_id: string;
      text: string | null;
      seq: string | null;
      sent_at: string | null;
      delivered: boolean;
      read: boolean;
      deleted: boolean;
    }>(
      `SELECT p.message_id, p.sender_id,
              i.body->>'text' AS text,
              COALESCE(i.body->>'seq', m.seq::text) AS seq,
              COALESCE(i.body->>'sentAt', to_char(m.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS sent_at,
              (i.delivered_at IS NOT NULL OR COALESCE(r.status_rank, 0) >= 3) AS delivered,
              (cr.read_up_to_seq IS NOT NULL
                 AND cr.read_up_to_seq >= COALESCE((i.body->>'seq')::bigint, m.seq)) AS read,
              (COALESCE(m.deleted_for_everybody, false)
                 OR EXISTS (SELECT 1 FROM message_hidden h WHERE h.message_id = p.message_id AND h.user_id = p.user_id)
                 OR EXISTS (SELECT 1 FROM inbox_items d
                             WHERE d.user_id = p.user_id AND d.kind = 'deleted' AND d.message_id = p.message_id)) AS deleted
         FROM push_pending p
         LEFT JOIN inbox_items i ON i.user_id = p.user_id AND i.kind = 'message' AND i.message_id = p.message_id
         LEFT JOIN messages m ON m.message_id = p.message_id
         LEFT JOIN message_recipients r ON r.message_id = p.message_id AND r.recipient_id = p.user_id
         LEFT JOIN conversation_reads cr ON cr.conversation_id = p.conversation_id AND cr.user_id = p.user_id
        WHERE p.user_id = $1 AND p.conversation_id = $2 AND p.done_at IS NULL
        ORDER BY p.received_at, p.message_id`,
      [thread.userId, thread.conversationId],
    );
    return rows.map((row) => ({
      messageId: row.message_id,
      senderId: row.sender_id,
      text: row.text,
      seq: row.seq === null ? null : Number(row.seq),
      sentAt: row.sent_at === null ? null : Date.parse(row.sent_at),
      delivered: row.delivered,
      read: row.read === true,
      deleted: row.deleted,
    }));
  }

  /**
   * The recipient's account status in the users read model. A user without a row is ACTIVE: one
   * registered a moment ago may not be projected yet, and a block or deletion is recorded after the
   * registration on the same partition of chat.users, so it is never projected before it.
   */
  async accountStatus(userId: string): Promise<AccountStatus> {
    const { rows } = await this.pool.query<{ status: AccountStatus }>(
      'SELECT status FROM users WHERE user_id = $1',
      [userId],
    );
    return rows[0]?.status ?? 'ACTIVE';
  }

  /** A group's title (undefined for a direct conversation) and the names of the senders. */
  async names(
    conversationId: string,
    senderIds: readonly string[],
  ): Promise<{ groupTitle?: string; names: Map<string, string> }> {
    const [conversation, users] = await Promise.all([
      this.pool.query<{ kind: string; title: string | null }>(
        'SELECT kind, title FROM conversations WHERE conversation_id = $1',
        [conversationId],
      ),
      this.pool.query<{ user_id: string; name: string }>(
        'SELECT user_id, COALESCE(display_name, username) AS name FROM users WHERE user_id = ANY($1::text[])',
        [senderIds],
      ),
    ]);
    const row = conversation.rows[0];
    const names = new Map(users.rows.map((u) => [u.user_id, u.name]));
    return row?.kind === 'group' && row.title ? { groupTitle: row.title, names } : { names };
  }

  /**
   * The thread's work is over: its messages are done with their outcomes, the thread remembers when
   * it last notified, lets go of its lease, and is due again if messages arrived meanwhile (then at
   * the end of the collapse window at the earliest).
   */
  async finish(
    thread: ClaimedThread,
    outcomes: readonly { readonly messageId: string; readonly outcome: PendingOutcome }[],
    notified: boolean,
    now: number,
  ): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ last_notified_at: Date | null }>(
        'SELECT last_notified_at FROM push_threads WHERE user_id = $1 AND conversation_id = $2 FOR UPDATE',
        [thread.userId, thread.conversationId],
      );
      await client.query(
        `UPDATE push_pending p SET done_at = $2, outcome = o.outcome
           FROM unnest($3::text[], $4::text[]) AS o(message_id, outcome)
          WHERE p.user_id = $1 AND p.message_id = o.message_id AND p.done_at IS NULL`,
        [thread.userId, new Date(now), outcomes.map((o) => o.messageId), outcomes.map((o) => o.outcome)],
      );
      const { rows: open } = await client.query<{ first: Date | null }>(
        `SELECT min(received_at) AS first FROM push_pending
          WHERE user_id = $1 AND conversation_id = $2 AND done_at IS NULL`,
        [thread.userId, thread.conversationId],
      );
      const lastNotifiedAt = notified ? now : (rows[0]?.last_notified_at?.getTime() ?? null);
      const first = open[0]?.first ?? null;
      const due =
        first === null ? null : dueAt({ firstPendingAt: first.getTime(), lastNotifiedAt }, this.rules);
      await client.query(
        `UPDATE push_threads SET due_at = $3, last_notified_at = $4, claimed_until = NULL
          WHERE user_id = $1 AND conversation_id = $2`,
        [
          thread.userId,
          thread.conversationId,
          due === null ? null : new Date(due),
          lastNotifiedAt === null ? null : new Date(lastNotifiedAt),
        ],
      );
    });
  }

  /** Keeps a thread this notifier is still working on (its lease, renewed while it works). */
  async renew(thread: ClaimedThread, until: number): Promise<void> {
    await this.pool.query(
      `UPDATE push_threads SET claimed_until = $3
        WHERE user_id = $1 AND conversation_id = $2 AND claimed_until IS NOT NULL`,
      [thread.userId, thread.conversationId, new Date(until)],
    );
  }

  /**
   * Lets go of threads whose work was cut short: at once (the notifier is stopping; another takes
   * them), or from `until` on (a failure: not taken again in a tight loop).
   */
  async release(threads: readonly ClaimedThread[], until?: number): Promise<void> {
    if (threads.length === 0) return;
    const unique = [...new Map(threads.map((t) => [threadKey(t), t])).values()];
    await this.pool.query(
      `UPDATE push_threads t SET claimed_until = $3
         FROM unnest($1::text[], $2::text[]) AS r(user_id, conversation_id)
        WHERE t.user_id = r.user_id AND t.conversation_id = r.conversation_id`,
      [
        unique.map((t) => t.userId),
        unique.map((t) => t.conversationId),
        until === undefined ? null : new Date(until),
      ],
    );
  }

  /**
   * Forgets what no longer matters, a bounded batch at a time: done messages after `keepDoneMs`
   * (until then an event read again is recognised), and idle threads whose collapse window is over.
   * Done messages oldest first, in the order push_pending_done gives: a plan made before the
   * table's first ANALYZE would otherwise read the whole table to find nothing (see the inbox's trim).
   */
  async cleanUp(now: number, keepDoneMs: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM push_pending WHERE (user_id, message_id) IN (
         SELECT user_id, message_id FROM push_pending WHERE done_at < $1 ORDER BY done_at LIMIT 5000)`,
      [new Date(now - keepDoneMs)],
    );
    await this.pool.query(
      `DELETE FROM push_threads WHERE (user_id, conversation_id) IN (
         SELECT user_id, conversation_id FROM push_threads
          WHERE due_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $1)
            AND (last_notified_at IS NULL OR last_notified_at < $2)
          LIMIT 5000 FOR UPDATE SKIP LOCKED)`,
      [new Date(now), new Date(now - this.rules.collapseWindowMs)],
    );
  }
}
