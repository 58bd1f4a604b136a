import type { Redis } from 'ioredis';
import type { Logger } from '@parley/logging';
import type { AppendedItem } from './inbox-projection';

const channelOf = (prefix: string, userId: string) => `${prefix}inbox:${userId}`;

/**
 * "User U's inbox has grown to position N", through Redis pub/sub, one channel per user: the
 * gateway nodes holding U's sessions listen to it. A lost notice delays nothing for long: a device
 * also reads its inbox when it subscribes, and on its retry timer.
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
      pipeline.publish(channelOf(this.prefix, userId), String(position));
    pipeline
      .exec()
      .catch((error: unknown) => this.logger?.warn({ err: error }, 'inbox notices not sent (Redis)'));
  }
}

/** The gateway side: one Redis subscription per user with sessions on this node, shared by them. */
export class InboxNotifications {
  private readonly listeners = new Map<string, Set<(position: number) => void>>();

  constructor(
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly logger?: Logger,
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      if (!channel.startsWith(`${prefix}inbox:`)) return;
      const userId = channel.slice(`${prefix}inbox:`.length);
      for (const listener of this.listeners.get(userId) ?? []) listener(Number(message));
    });
  }

  private readonly subscribed = new Map<string, Promise<void>>();

  /**
   * Calls `listener` with each new position of the user's inbox. `ready` resolves once Redis has the
   * subscription (read the inbox after that, and nothing is missed); `stop` ends it.
   */
  watch(userId: string, listener: (position: number) => void): { ready: Promise<void>; stop: () => void } {
    let set = this.listeners.get(userId);
    if (!set) {
      this.listeners.set(userId, (set = new Set()));
      this.subscribed.set(
        userId,
        this.subscriber.subscribe(channelOf(this.prefix, userId)).then(
          () => undefined,
          (error: unknown) => this.logger?.warn({ err: error, userId }, 'inbox subscription failed (Redis)'),
        ),
      );
    }
    set.add(listener);
    const ready = this.subscribed.get(userId) ?? Promise.resolve();
    const stop = () => {
      const current = this.listeners.get(userId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(userId);
        this.subscribed.delete(userId);
        this.subscriber.unsubscribe(channelOf(this.prefix, userId)).catch(() => undefined);
      }
    };
    return { ready, stop };
  }
}
