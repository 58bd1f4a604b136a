import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { channels, type ChannelHub } from '@parley/live';
import type { Logger } from '@parley/logging';
import type { AppendedItem } from './inbox-projection';
import type { InboxItem, InboxStore } from './inbox-store';

/** Items a notice carries at most; a larger burst is read from PostgreSQL by the devices instead. */
const MAX_ITEMS_PER_NOTICE = 50;

/** A notice: the inbox's new last position and, for a small burst, the new items themselves. */
interface InboxNotice {
  readonly position: number;
  readonly items?: readonly InboxItem[];
}

/** How long a notice Redis refused waits before it is published again (position only). */
const RESEND_AFTER_MS = 1_000;
/**
 * Most inboxes whose refused notices are kept for a resend (a long Redis outage): past it, new ones
 * are dropped; the periodic announcement of the inboxes in flight finds their messages (not their
 * deletions and edits: those come with the user's next notice or reconnect).
 */
const MAX_UNSENT = 100_000;

/**
 * "User U's inbox has grown to position N (and here are the items)", through Redis pub/sub, one
 * channel per user: the gateway nodes holding U's sessions listen to it. Carrying the items saves
 * every online device a read of what was just written.
 *
 * A notice lost would leave an online device without its item until the next one: so a notice Redis
 * refused is published again (position only; the devices read the items) until it goes through; the
 * worker announces the inboxes with messages still in flight to online devices when it starts and
 * every little while (a worker that died between a commit and its notice, whose partitions another
 * took over); and the gateway side catches up after its own reconnect (InboxNotifications).
 */
export class InboxNotifier {
  /** The last position of each inbox whose notice Redis refused, until one goes through. */
  private readonly unsent = new Map<string, number>();
  private resendTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger?: Logger,
  ) {}

  announce(appended: readonly AppendedItem[]): void {
    const byUser = new Map<string, InboxItem[]>();
    for (const row of appended) {
      const items = byUser.get(row.user_id) ?? [];
      items.push({ position: Number(row.position), body: row.body });
      byUser.set(row.user_id, items);
    }
    const notices = new Map<string, InboxNotice>();
    for (const [userId, items] of byUser) {
      items.sort((a, b) => a.position - b.position);
      const position = (items[items.length - 1] as InboxItem).position;
      notices.set(userId, items.length <= MAX_ITEMS_PER_NOTICE ? { position, items } : { position });
    }
    this.publish(notices);
  }

  /**
   * Announces the last position of every inbox with a message appended at least `olderThanMs` ago
   * and neither delivered, failed nor told pending (in flight to an online device: the few rows of
   * the partial index inbox_items_unpending). A worker that died between a commit and its notice
   * left such items unannounced; devices that have them ignore the notice.
   */
  async announceInFlight(pool: Pool, olderThanMs = 0): Promise<number> {
    const { rows } = await pool.query<{ user_id: string; last_position: string }>(
      `SELECT h.user_id, h.last_position FROM inbox_heads h
        WHERE h.user_id = ANY (ARRAY(SELECT DISTINCT i.user_id FROM inbox_items i
                             WHERE i.kind = 'message' AND i.delivered_at IS NULL
                               AND i.failed_at IS NULL AND i.pending_at IS NULL
                               AND i.created_at < now() - $1 * interval '1 millisecond'))`,
      [olderThanMs],
    );
    this.publish(new Map(rows.map((row) => [row.user_id, { position: Number(row.last_position) }])));
    return rows.length;
  }

  /** Stops resending; what is still unsent is tried once more. */
  stop(): void {
    if (this.resendTimer) clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
    this.stopped = true;
    this.publish(this.takeUnsent());
  }

  /** The inboxes kept for a resend, as notices of their positions alone; none are kept after. */
  private takeUnsent(): Map<string, InboxNotice> {
    const notices = new Map([...this.unsent].map(([userId, position]) => [userId, { position }]));
    this.unsent.clear();
    return notices;
  }

  private publish(notices: ReadonlyMap<string, InboxNotice>): void {
    if (notices.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [userId, notice] of notices)
      pipeline.publish(channels.inbox(this.prefix, userId), JSON.stringify(notice));
    pipeline.exec().then(
      (results) => {
        // exec resolves with an error per command that Redis answered with one.
        const refused = [...notices.keys()].filter((_, i) => results?.[i]?.[0]);
        if (refused.length > 0) this.keepForResend(refused, notices, results?.find((r) => r[0])?.[0]);
      },
      (error: unknown) => this.keepForResend([...notices.keys()], notices, error),
    );
  }

  private keepForResend(
    userIds: readonly string[],
    notices: ReadonlyMap<string, InboxNotice>,
    error: unknown,
  ): void {
    this.logger?.warn(
      { err: error, inboxes: userIds.length },
      'inbox notices not sent (Redis); sending them again',
    );
    if (this.stopped) return;
    for (const userId of userIds) {
      if (this.unsent.size >= MAX_UNSENT && !this.unsent.has(userId)) continue;
      const position = notices.get(userId)?.position ?? 0;
      this.unsent.set(userId, Math.max(this.unsent.get(userId) ?? 0, position));
    }
    this.resendTimer ??= setTimeout(() => {
      this.resendTimer = undefined;
      this.publish(this.takeUnsent());
    }, RESEND_AFTER_MS);
    this.resendTimer.unref();
  }
}

/** How many inboxes one catch-up read looks up (after the node's Redis subscriber reconnected). */
const CATCH_UP_PAGE = 1_000;
/** How long a catch-up read that failed waits before it is tried again. */
const CATCH_UP_RETRY_MS = 1_000;

/**
 * The gateway side of InboxNotifier. When the node's Redis subscriber was away, notices published
 * meanwhile are gone (ChannelHub's `resumed`): every watched inbox's last position is then read
 * from PostgreSQL, a page of inboxes per statement, and told to its watchers as a notice without
 * items. A device behind it reads what it missed; the others ignore it. So a reconnect costs a few
 * reads for the whole node, not one per device.
 */
export class InboxNotifications {
  /** Inboxes whose notices may have been missed, waiting for the catch-up read. */
  private behind = new Set<string>();
  private catchingUp: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly hub: ChannelHub,
    private readonly prefix: string,
    private readonly heads: Pick<InboxStore, 'lastPositions'>,
    private readonly logger?: Logger,
  ) {}

  /**
   * Calls `listener` with each new last position of the user's inbox and, when the notice carries
   * them, the new items in position order (consecutive positions, ending at `position`).
   */
  watch(
    userId: string,
    listener: (position: number, items?: readonly InboxItem[]) => void,
  ): { ready: Promise<void>; stop: () => void } {
    const channel = channels.inbox(this.prefix, userId);
    return this.hub.watch(
      channel,
      (message) => {
        const notice = JSON.parse(message) as InboxNotice;
        listener(notice.position, notice.items);
      },
      () => this.missed(userId),
    );
  }

  /** Ends the catch-up (the node is shutting down): a read in progress is the last. */
  stop(): void {
    this.stopped = true;
    this.behind.clear();
  }

  private missed(userId: string): void {
    if (this.stopped) return;
    this.behind.add(userId);
    this.catchingUp ??= this.catchUp().finally(() => (this.catchingUp = undefined));
  }

  /** Up to CATCH_UP_PAGE users, taken out of `behind` (a user told again meanwhile is read again). */
  private takePage(): string[] {
    const page: string[] = [];
    for (const userId of this.behind) {
      if (page.length === CATCH_UP_PAGE) break;
      page.push(userId);
    }
    for (const userId of page) this.behind.delete(userId);
    return page;
  }

  private async catchUp(): Promise<void> {
    // The hub tells every watcher in one turn: the set is complete once this runs.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.behind.size > 0) {
      const page = this.takePage();
      try {
        const last = await this.heads.lastPositions(page);
        for (const [userId, position] of last)
          this.hub.tell(channels.inbox(this.prefix, userId), JSON.stringify({ position }));
      } catch (error) {
        if (this.stopped) return;
        for (const userId of page) this.behind.add(userId);
        this.logger?.warn({ err: error, inboxes: this.behind.size }, 'inbox catch-up read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, CATCH_UP_RETRY_MS).unref());
      }
    }
  }
}
