import type { Redis } from 'ioredis';
import type { Logger } from '@parley/logging';
import type { AppendedItem } from './inbox-projection';
import { channels, type ChannelHub } from './redis-channels';

/**
 * "User U's inbox has grown to position N", through Redis pub/sub, one channel per user: the
 * gateway nodes holding U's sessions listen to it. A lost notice delays little: a device also reads
 * its inbox when it subscribes, and again on its retry timer.
 */
export class InboxNotifier {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger?: Logger,
  ) {}

  announce(items: readonly AppendedItem[]): void {
    const latest = new Map<string, number>();
    for (const item of items)
      latest.set(item.user_id, Math.max(latest.get(item.user_id) ?? 0, Number(item.position)));
    const pipeline = this.redis.pipeline();
    for (const [userId, position] of latest)
      pipeline.publish(channels.inbox(this.prefix, userId), String(position));
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

  /** Calls `listener` with each new position of the user's inbox. */
  watch(userId: string, listener: (position: number) => void): { ready: Promise<void>; stop: () => void } {
    return this.hub.watch(channels.inbox(this.prefix, userId), (message) => listener(Number(message)));
  }
}
