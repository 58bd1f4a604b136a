import type { Redis } from 'ioredis';
import type { Logger } from '@parley/logging';
import { LeanMultimap } from '@parley/runtime';

/** Every Redis pub/sub channel of live delivery, under the environment's key prefix: named here and nowhere else. */
export const channels = {
  /** "the user's inbox grew to position N" */
  inbox: (prefix: string, userId: string) => `${prefix}inbox:${userId}`,
  /** live notices for one user's queues: `{queue, body}` (receipts, typing, presence) */
  user: (prefix: string, userId: string) => `${prefix}user:${userId}`,
  /** the live feed of one conversation: a frame body */
  conversation: (prefix: string, conversationId: string) => `${prefix}conversation:${conversationId}`,
  /** orders to every gateway node (end an account's sessions) */
  gatewayControl: (prefix: string) => `${prefix}gateway-control`,
};

/** A notice for one of a user's queues (PROTOCOL §3 `/user/queue/...`). */
export interface UserNotice {
  readonly queue: 'receipts' | 'typing' | 'presence';
  readonly body: unknown;
}

/** One listener on a channel: `ready` resolves once Redis has the subscription; `stop` ends the listener. */
export interface ChannelWatch {
  readonly ready: Promise<void>;
  readonly stop: () => void;
}

/**
 * The subscriber side, shared by everything on one gateway node: one Redis subscription per channel
 * however many sessions listen to it, dropped when the last one stops.
 */
export class ChannelHub {
  private readonly listeners = new LeanMultimap<string, (message: string) => void>();
  private readonly subscribed = new Map<string, Promise<void>>();

  constructor(
    private readonly subscriber: Redis,
    private readonly logger?: Logger,
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      this.listeners.forEach(channel, (listener) => listener(message));
    });
  }

  watch(channel: string, listener: (message: string) => void): ChannelWatch {
    if (this.listeners.add(channel, listener)) {
      this.subscribed.set(
        channel,
        this.subscriber.subscribe(channel).then(
          () => undefined,
          (error: unknown) => this.logger?.warn({ err: error, channel }, 'subscription failed (Redis)'),
        ),
      );
    }
    const ready = this.subscribed.get(channel) ?? Promise.resolve();
    const stop = () => {
      if (!this.listeners.delete(channel, listener)) return;
      this.subscribed.delete(channel);
      this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
    return { ready, stop };
  }
}

/** The publishing side: notices are live only, so a failure is logged and forgotten. */
export class ChannelPublisher {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger?: Logger,
  ) {}

  toUser(userId: string, notice: UserNotice): void {
    this.publish(channels.user(this.prefix, userId), notice);
  }

  toConversation(conversationId: string, body: unknown): void {
    this.publish(channels.conversation(this.prefix, conversationId), body);
  }

  private publish(channel: string, body: unknown): void {
    this.redis.publish(channel, JSON.stringify(body)).catch((error: unknown) => {
      this.logger?.warn({ err: error, channel }, 'live notice not sent (Redis)');
    });
  }
}
