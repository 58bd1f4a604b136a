import type { Logger } from '@parley/logging';
import type { InboxNotifications } from './inbox-notifications';
import type { InboxItem, InboxStore } from './inbox-store';

export interface DeviceFeedDeps {
  readonly userId: string;
  readonly deviceId: string;
  readonly store: InboxStore;
  readonly notifications: InboxNotifications;
  /** Writes one item to the device (a MESSAGE frame). */
  readonly push: (item: InboxItem) => void;
  /** Told of the items this device ACKed (the first ACK of a message produces MessageDelivered). */
  readonly acknowledged: (userId: string, deviceId: string, positions: readonly number[]) => void;
  /** `auto` ACK mode: an item counts as ACKed once written. */
  readonly autoAck?: boolean;
  /** First retry of an unACKed item; doubles up to `maxRetryMs`. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  readonly logger?: Logger;
}

const PAGE = 500;

/**
 * One device's view of its user's inbox, for as long as its subscription to `/user/queue/messages`
 * lasts: replays everything after the device's position in inbox order, then follows new items as
 * they are announced; tracks ACKs and stores the position up to which every item is ACKed; sends
 * NACKed and unACKed items again (with backoff) while the device stays.
 */
export class DeviceFeed {
  /** The highest position written to the device. */
  private sent = 0;
  /** Every item up to here is ACKed (and stored, eventually). */
  private acked = 0;
  private readonly unacked = new Map<number, InboxItem>();
  private readonly ackedAhead = new Set<number>();
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private stopWatching: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private saving: Promise<void> | undefined;
  private savedAcked = 0;

  constructor(private readonly deps: DeviceFeedDeps) {
    this.retryDelay = deps.retryMs ?? 2_000;
  }

  /** Starts after `fromPosition` (SUBSCRIBE `from-position`) or after the device's stored position. */
  async start(fromPosition?: number): Promise<void> {
    const { userId, deviceId, store, notifications } = this.deps;
    const stored = await store.startPosition(userId, deviceId);
    const start = fromPosition ?? stored;
    this.sent = start;
    this.acked = start;
    this.savedAcked = stored;
    const watch = notifications.watch(userId, (position) => {
      if (position > this.sent) void this.pump();
    });
    this.stopWatching = watch.stop;
    await watch.ready;
    await this.reportGap(start);
    await this.pump();
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

  /** ACK of the item at `position`. Unknown positions (already ACKed, not sent) change nothing. */
  ack(position: number): void {
    if (!this.unacked.delete(position)) return;
    this.ackedAhead.add(position);
    while (this.ackedAhead.delete(this.acked + 1)) this.acked++;
    this.deps.acknowledged(this.deps.userId, this.deps.deviceId, [position]);
    this.retryDelay = this.deps.retryMs ?? 2_000;
    this.save();
  }

  /** ACK in `client` mode: cumulative, every item up to `position`. */
  ackUpTo(position: number): void {
    for (const pending of [...this.unacked.keys()].sort((a, b) => a - b))
      if (pending <= position) this.ack(pending);
  }

  /** NACK: the item comes again at the next retry. */
  nack(position: number): void {
    if (this.unacked.has(position)) this.scheduleRetry(Math.min(this.retryDelay, 200));
  }

  stop(): void {
    this.stopped = true;
    this.stopWatching?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
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
            if (this.stopped) return;
            const items = await this.deps.store.itemsAfter(this.deps.userId, this.sent, PAGE);
            for (const item of items) this.write(item);
            if (items.length < PAGE) break;
          }
        } while (this.again);
      } catch (error) {
        this.deps.logger?.warn({ err: error, userId: this.deps.userId }, 'inbox read failed; retrying');
        this.scheduleRetry(this.retryDelay);
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  private write(item: InboxItem): void {
    if (this.stopped || item.position <= this.sent) return;
    this.sent = item.position;
    if (this.deps.autoAck) {
      this.deps.push(item);
      this.unacked.set(item.position, item);
      this.ack(item.position);
      return;
    }
    this.unacked.set(item.position, item);
    this.deps.push(item);
    this.scheduleRetry(this.retryDelay);
  }

  /** Unacknowledged items are written again after a delay that doubles while they stay unACKed. */
  private scheduleRetry(delayMs: number): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.stopped) return;
      for (const item of [...this.unacked.values()].sort((a, b) => a.position - b.position))
        this.deps.push(item);
      this.retryDelay = Math.min(this.retryDelay * 2, this.deps.maxRetryMs ?? 60_000);
      void this.pump();
      if (this.unacked.size > 0) this.scheduleRetry(this.retryDelay);
    }, delayMs);
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
