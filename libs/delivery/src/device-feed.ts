import type { Logger } from '@parley/logging';
import { withDefaults } from '@parley/runtime';
import type { InboxNotifications } from './inbox-notifications';
import type { InboxItem, InboxStore } from './inbox-store';

export interface DeviceFeedDeps {
  readonly userId: string;
  readonly deviceId: string;
  readonly store: InboxStore;
  readonly notifications: InboxNotifications;
  /** Writes one item to the device (a MESSAGE frame). */
  readonly push: (item: InboxItem) => void;
  /**
   * Undefined while the device's connection can take more; otherwise a promise for when it can. A
   * replay waits on it between items, so a long one never piles up in the connection's buffer.
   */
  readonly ready?: () => Promise<void> | undefined;
  /** Told of the items this device ACKed (the first ACK of a message produces MessageDelivered). */
  readonly acknowledged: (userId: string, deviceId: string, positions: readonly number[]) => void;
  /** `auto` ACK mode: an item counts as ACKed once written. */
  readonly autoAck?: boolean;
  /** Redelivery of unACKed items while the device stays (defaults: 2 s doubling to 60 s, 30 writes). */
  readonly retry?: Partial<RetryBudget>;
  /**
   * Told of items written `maxAttempts` times without an ACK: the device stops getting them and the
   * recipient's delivery of them has failed (MessageFailed), unless another device ACKs them.
   */
  readonly exhausted?: (userId: string, deviceId: string, items: readonly InboxItem[]) => void;
  /**
   * Most items written and not ACKed at once (default 1,000): a device that stops ACKing (or reading)
   * gets no more than this, and the rest waits in the inbox until ACKs make room.
   */
  readonly window?: number;
  readonly logger?: Logger;
}

const PAGE = 500;
export const DEFAULT_INBOX_WINDOW = 1_000;

/** How an unACKed item is written again: after `initialMs`, doubling up to `maxMs`, `maxAttempts` writes in all. */
export interface RetryBudget {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudget = { initialMs: 2_000, maxMs: 60_000, maxAttempts: 30 };

/** A budget completed with the defaults, once per given budget (every feed of a node shares it). */
const completeBudget = withDefaults(DEFAULT_RETRY_BUDGET);

/**
 * One device's view of its user's inbox, for as long as its subscription to `/user/queue/messages`
 * lasts: replays everything after the device's position in inbox order, then follows new items as
 * they are announced; tracks ACKs and stores the position up to which every item is ACKed; sends
 * NACKed and unACKed items again (with backoff) while the device stays.
 */
interface Unacked {
  readonly item: InboxItem;
  attempts: number;
  dueAt: number;
}

const NOTHING_UNACKED: ReadonlyMap<number, Unacked> = new Map();

export class DeviceFeed {
  /** The highest position written to the device. */
  private sent = 0;
  /** Every item up to here is ACKed (and stored, eventually). */
  private acked = 0;
  /**
   * Written and not ACKed yet, with how often each was written. Made when the first item goes out and
   * dropped when the last is ACKed: an idle device holds no Map (its table alone is ~250 bytes).
   */
  private unackedItems: Map<number, Unacked> | undefined;
  /** ACKed above the watermark (out of order); made when first needed, as most ACKs come in order. */
  private ackedAhead: Set<number> | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** The start has placed the device (its position, a gap reported): notices may write and read. */
  private started = false;
  private stopWatching: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private timerDueAt = Infinity;
  private pumpRetry: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private savedAcked = 0;
  /** The newest position announced: above `sent`, items wait in the inbox (the window is full). */
  private latest = 0;
  private readonly retry: RetryBudget;

  private get unacked(): ReadonlyMap<number, Unacked> {
    return this.unackedItems ?? NOTHING_UNACKED;
  }
  private readonly window: number;

  constructor(private readonly deps: DeviceFeedDeps) {
    this.retry = completeBudget(deps.retry);
    this.window = Math.max(1, deps.window ?? DEFAULT_INBOX_WINDOW);
  }

  /** Room for this many more unACKed items. */
  private get room(): number {
    return this.window - this.unacked.size;
  }

  /** Starts after `fromPosition` (SUBSCRIBE `from-position`) or after the device's stored position. */
  async start(fromPosition?: number): Promise<void> {
    const { userId, deviceId, store, notifications } = this.deps;
    const stored = await this.untilRead(() => store.startPosition(userId, deviceId));
    if (stored === undefined || this.stopped) return;
    const start = fromPosition ?? stored;
    this.sent = start;
    this.acked = start;
    this.savedAcked = stored;
    const watch = notifications.watch(userId, (position, items) => this.announced(position, items));
    this.stopWatching = watch.stop;
    await watch.ready;
    const gapReported = await this.untilRead(async () => {
      await this.reportGap(start);
      return true;
    });
    if (!gapReported) return;
    this.started = true;
    await this.pump();
  }

  /**
   * A read the start depends on, tried again with the pump's backoff until it succeeds, as the
   * pump's own reads are: a database restarting under an open subscription delays its replay but
   * does not end it (a client would otherwise have to notice and subscribe again, or get nothing).
   * Undefined once the feed is stopped.
   */
  private async untilRead<T>(read: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        return await read();
      } catch (error) {
        if (this.stopped) return undefined;
        this.deps.logger?.warn({ err: error, userId: this.deps.userId }, 'inbox read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, this.delayAfter(attempt)));
      }
    }
    return undefined;
  }

  /**
   * Items older than the inbox retention are gone: a device whose position is older first gets a
   * `gap` item naming the positions it cannot have (it backfills through the history calls), and its
   * position moves past them. Nothing is lost silently.
   */
  private async reportGap(start: number): Promise<void> {
    const oldest = await this.deps.store.oldestPositionAfter(this.deps.userId, start);
    if (oldest === undefined || oldest <= start + 1) return;
    const gap = { fromPosition: start + 1, toPosition: oldest - 1 };
    this.sent = gap.toPosition;
    this.deps.push({ position: gap.toPosition, body: { kind: 'gap', ...gap } });
    this.acked = gap.toPosition;
    this.save();
  }

  /**
   * New items: written straight from the notice when they follow on from what the device has and no
   * read is in progress; otherwise read from the inbox, in order.
   */
  private announced(position: number, items?: readonly InboxItem[]): void {
    this.latest = Math.max(this.latest, position);
    // Until the start has placed the device (a gap may move it on), its own read brings these.
    if (!this.started || position <= this.sent) return;
    if (this.room <= 0) {
      // The window is full: ACKs bring the rest. A pass in progress must not conclude it read all.
      if (this.pumping) this.again = true;
      return;
    }
    const first = items?.[0];
    if (
      items &&
      first &&
      items.length <= this.room &&
      !this.pumping &&
      first.position <= this.sent + 1 &&
      // A connection with a full buffer: the pump waits for it.
      !this.deps.ready?.() &&
      items.every((item, i) => item.position === first.position + i)
    ) {
      for (const item of items) this.write(item);
      return;
    }
    void this.pump();
  }

  /** ACK of the item at `position`. Unknown positions (already ACKed, not sent) change nothing. */
  ack(position: number): void {
    if (!this.settle(position)) return;
    this.deps.acknowledged(this.deps.userId, this.deps.deviceId, [position]);
    this.save();
    this.refill();
  }

  /** Items wait behind a full window: once half of it is free, read on (not one read per ACK). */
  private refill(): void {
    // A pass in progress reads on by itself while there is room.
    if (!this.pumping && this.latest > this.sent && this.room >= this.window / 2) void this.pump();
  }

  /** The item is done with for this device (ACKed, or its retry budget spent): the watermark may move. */
  private settle(position: number): boolean {
    if (!this.unackedItems?.delete(position)) return false;
    if (this.unackedItems.size === 0) {
      this.unackedItems = undefined;
      // Nothing left to write again: the timer would wake the process for nothing.
      this.disarmRetry();
    }
    if (position === this.acked + 1) this.acked++;
    else (this.ackedAhead ??= new Set()).add(position);
    while (this.ackedAhead?.delete(this.acked + 1)) this.acked++;
    return true;
  }

  /** ACK in `client` mode: cumulative, every item up to `position`. */
  ackUpTo(position: number): void {
    for (const pending of [...this.unacked.keys()].sort((a, b) => a - b))
      if (pending <= position) this.ack(pending);
  }

  /** NACK: the item comes again at the next retry. */
  nack(position: number): void {
    const entry = this.unacked.get(position);
    if (!entry) return;
    entry.dueAt = Math.min(entry.dueAt, Date.now() + 200);
    this.scheduleRetry();
  }

  stop(): void {
    this.stopped = true;
    this.stopWatching?.();
    this.disarmRetry();
    if (this.pumpRetry) clearTimeout(this.pumpRetry);
  }

  /** Reads and writes what the device has not been sent yet; one pass at a time. */
  private pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          for (;;) {
            if (this.stopped || this.room <= 0) return;
            const limit = Math.min(PAGE, this.room);
            const items = await this.deps.store.itemsAfter(this.deps.userId, this.sent, limit);
            for (const item of items) {
              const wait = this.deps.ready?.();
              if (wait) await wait;
              this.write(item);
            }
            if (items.length < limit) break;
            // A full page may mean more: the newest position is at least past it.
            this.latest = Math.max(this.latest, this.sent + 1);
          }
        } while (this.again);
        // Read to the end: nothing waits (an announcement during the read set `again`).
        this.latest = this.sent;
      } catch (error) {
        this.deps.logger?.warn({ err: error, userId: this.deps.userId }, 'inbox read failed; retrying');
        this.pumpRetry ??= setTimeout(() => {
          this.pumpRetry = undefined;
          void this.pump();
        }, this.retry.initialMs);
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  private write(item: InboxItem): void {
    if (this.stopped || item.position <= this.sent) return;
    this.sent = item.position;
    const dueAt = Date.now() + this.retry.initialMs;
    (this.unackedItems ??= new Map()).set(item.position, { item, attempts: 1, dueAt });
    this.deps.push(item);
    if (this.deps.autoAck) this.ack(item.position);
    else this.armRetry(dueAt);
  }

  /** The wait before the next write of an item already written `attempts` times: doubling, capped. */
  private delayAfter(attempts: number): number {
    return Math.min(this.retry.initialMs * 2 ** (attempts - 1), this.retry.maxMs);
  }

  /** Arms the timer for the earliest due redelivery (one timer per device, not one per item). */
  private scheduleRetry(): void {
    let due = Infinity;
    for (const entry of this.unacked.values()) due = Math.min(due, entry.dueAt);
    this.armRetry(due);
  }

  private disarmRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.timerDueAt = Infinity;
  }

  private armRetry(due: number): void {
    if (this.stopped || due === Infinity || (this.retryTimer && due >= this.timerDueAt)) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timerDueAt = due;
    this.retryTimer = setTimeout(() => this.redeliver(), Math.max(0, due - Date.now()));
  }

  /** Writes again what is due, in inbox order; gives up on items whose budget is spent. */
  private redeliver(): void {
    this.retryTimer = undefined;
    this.timerDueAt = Infinity;
    if (this.stopped) return;
    const now = Date.now();
    const spent: InboxItem[] = [];
    const due = [...this.unacked.values()]
      .filter((entry) => entry.dueAt <= now)
      .sort((a, b) => a.item.position - b.item.position);
    for (const entry of due) {
      if (entry.attempts >= this.retry.maxAttempts) {
        spent.push(entry.item);
        this.settle(entry.item.position);
      } else {
        entry.attempts++;
        entry.dueAt = now + this.delayAfter(entry.attempts);
        this.deps.push(entry.item);
      }
    }
    if (spent.length > 0) {
      this.deps.exhausted?.(this.deps.userId, this.deps.deviceId, spent);
      this.save();
      this.refill();
    }
    // Items wait behind a window less than half free (refill waits for half): the timer, firing
    // anyway, reads them into the room there is. No read when nothing waits.
    if (!this.pumping && this.latest > this.sent && this.room > 0) void this.pump();
    this.scheduleRetry();
  }

  /** Stores the ACKed position; writes coalesce while one is in flight. */
  private save(): void {
    if (this.saving || this.acked <= this.savedAcked) return;
    const position = this.acked;
    let saved = false;
    this.saving = this.deps.store
      .saveAcked(this.deps.userId, this.deps.deviceId, position)
      .then(
        () => {
          saved = true;
          this.savedAcked = Math.max(this.savedAcked, position);
        },
        // Not saved: the next ACK tries again; until then these items may come again after a reconnect.
        (error: unknown) =>
          this.deps.logger?.warn({ err: error, userId: this.deps.userId }, 'device position not saved'),
      )
      .finally(() => {
        this.saving = undefined;
        if (saved && this.acked > this.savedAcked) this.save();
      });
  }
}
