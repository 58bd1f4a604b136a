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

/** Channels per SUBSCRIBE when a node subscribes to all of its channels again. */
const RESUBSCRIBE_PAGE = 1_000;
/** How often the subscriber's connection is checked with a PING, and how long the answer may take. */
const HEALTH_CHECK_MS = 15_000;
const HEALTH_TIMEOUT_MS = 5_000;

/**
 * The subscriber side, shared by everything on one gateway node: one Redis subscription per channel
 * however many sessions listen to it, dropped when the last one stops.
 *
 * Pub/sub keeps nothing for a connection that is away: what was published while the subscriber
 * reconnected is gone. Once it is back, the hub subscribes to every channel it listens to again
 * (ioredis resubscribes only what Redis had confirmed, and drops what it could not send) and then
 * tells the watchers that passed `resumed` (an inbox can read what it missed), after the
 * subscriptions hold, so that a read made then cannot fall before a notice that it also misses.
 */
export class ChannelHub {
  private readonly listeners = new LeanMultimap<string, (message: string) => void>();
  private readonly resumers = new LeanMultimap<string, () => void>();
  private readonly subscribed = new Map<string, Promise<void>>();
  /** The connection closed since its subscriptions last held: notices may have been missed. */
  private interrupted = false;
  /** Counts connections: a PING answered on an earlier one resumes nothing. */
  private connection = 0;
  private readonly healthCheck: NodeJS.Timeout;

  constructor(
    private readonly subscriber: Redis,
    private readonly logger?: Logger,
  ) {
    subscriber.on('message', (channel: string, message: string) => this.tell(channel, message));
    subscriber.on('close', () => {
      this.interrupted = true;
      this.connection++;
    });
    subscriber.on('ready', () => {
      if (this.interrupted) this.resubscribe(this.connection);
    });
    this.healthCheck = setInterval(() => this.checkHealth(), HEALTH_CHECK_MS);
    this.healthCheck.unref();
  }

  stop(): void {
    clearInterval(this.healthCheck);
  }

  /**
   * A connection whose peer went away without a word (a network partition, a failover) closes only
   * when TCP's keepalive gives up, hours later, and every notice meanwhile would be lost: a PING
   * unanswered in time ends it, so that ioredis reconnects and the watchers catch up.
   */
  private checkHealth(): void {
    if (this.subscriber.status !== 'ready') return;
    const timeout = setTimeout(() => {
      this.logger?.warn({ timeoutMs: HEALTH_TIMEOUT_MS }, 'Redis subscriber unanswered; reconnecting');
      this.subscriber.disconnect(true);
    }, HEALTH_TIMEOUT_MS);
    timeout.unref();
    const answered = () => clearTimeout(timeout);
    this.subscriber.ping().then(answered, answered);
  }

  /**
   * Calls `listener` with every message on `channel`; `resumed`, when given, each time the node's
   * subscriptions hold again after its Redis connection was lost (messages may have been missed).
   */
  watch(channel: string, listener: (message: string) => void, resumed?: () => void): ChannelWatch {
    if (this.listeners.add(channel, listener)) {
      this.subscribed.set(
        channel,
        this.subscriber.subscribe(channel).then(
          () => undefined,
          // The next reconnect subscribes again (resubscribe): a failed SUBSCRIBE means the
          // connection is failing.
          (error: unknown) => this.logger?.warn({ err: error, channel }, 'subscription failed (Redis)'),
        ),
      );
    }
    if (resumed) this.resumers.add(channel, resumed);
    const ready = this.subscribed.get(channel) ?? Promise.resolve();
    const stop = () => {
      if (resumed) this.resumers.delete(channel, resumed);
      if (!this.listeners.delete(channel, listener)) return;
      this.subscribed.delete(channel);
      this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
    return { ready, stop };
  }

  /** Hands `message` to the channel's listeners on this node, as if Redis had delivered it. */
  tell(channel: string, message: string): void {
    this.listeners.forEach(channel, (listener) => listener(message));
  }

  private resubscribe(connection: number): void {
    const channels = this.listeners.keys();
    const subscribed: Promise<unknown>[] = [];
    for (let i = 0; i < channels.length; i += RESUBSCRIBE_PAGE)
      subscribed.push(this.subscriber.subscribe(...channels.slice(i, i + RESUBSCRIBE_PAGE)));
    // Redis answers in order: once the PING is answered, every SUBSCRIBE before it holds.
    Promise.all([...subscribed, this.subscriber.ping()]).then(
      () => {
        // Closed again meanwhile: that connection's own 'ready' resumes.
        if (connection !== this.connection) return;
        this.interrupted = false;
        this.resume();
      },
      (error: unknown) => this.logger?.warn({ err: error }, 'resubscription not confirmed (Redis)'),
    );
  }

  private resume(): void {
    const watchers = this.resumers.all();
    for (const resumed of watchers) {
      try {
        resumed();
      } catch (error) {
        this.logger?.warn({ err: error }, 'a watcher failed to catch up');
      }
    }
    this.logger?.info(
      { watchers: watchers.length },
      'Redis subscriptions hold again; watchers told to catch up',
    );
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
