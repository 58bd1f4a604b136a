import type { Redis } from 'ioredis';
import { channels, type ChannelHub } from '@parley/live';
import type { Logger } from '@parley/logging';
import type { AppendedItem } from './inbox-projection';
import type { InboxItem } from './inbox-store';

/** Items a notice carries at most; a larger burst is read from PostgreSQL by the devices instead. */
const MAX_ITEMS_PER_NOTICE = 50;

/** A notice: the inbox's new last position and, for a small burst, the new items themselves. */
interface InboxNotice {
  readonly position: number;
  readonly items?: readonly InboxItem[];
}

/**
 * "User U's inbox has grown to position N (and here are the items)", through Redis pub/sub, one
 * channel per user: the gateway nodes holding U's sessions listen to it. Carrying the items saves
 * every online device a read of what was just written. A lost notice delays little: a device also
 * reads its inbox when it subscribes, and again on its retry timer.
 */
export class InboxNotifier {
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
    const pipeline = this.redis.pipeline();
    for (const [userId, items] of byUser) {
      items.sort((a, b) => a.position - b.position);
      const position = (items[items.length - 1] as InboxItem).position;
      const notice: InboxNotice = items.length <= MAX_ITEMS_PER_NOTICE ? { position, items } : { position };
      pipeline.publish(channels.inbox(this.prefix, userId), JSON.stringify(notice));
    }
    pipeline
      .exec()
      .catch((error: unknown) => this.logger?.warn({ err: error }, 'inbox notices not sent (Redis)'));
  }
}

/** The gateway side of InboxNotifier. */
export class InboxNotifications {
  constructor(
    private readonly hub: ChannelHub,
    private readonly prefix: string,
  ) {}

  /**
   * Calls `listener` with each new last position of the user's inbox and, when the notice carries
   * them, the new items in position order (consecutive positions, ending at `position`).
   */
  watch(
    userId: string,
    listener: (position: number, items?: readonly InboxItem[]) => void,
  ): { ready: Promise<void>; stop: () => void } {
    return this.hub.watch(channels.inbox(this.prefix, userId), (message) => {
      const notice = JSON.parse(message) as InboxNotice;
      listener(notice.position, notice.items);
    });
  }
}
