// The notifier (apps/notifier): its own consumer group on chat.messages keeps every DeliveryPending
// of a user with push subscriptions in PostgreSQL; a dispatcher beside it sends one notification per
// conversation when its burst is due, to users still offline, about messages still unread.
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { EventSerde, ParleyEvent } from '@parley/events';
import {
  ConsumerRunner,
  type BatchingProducer,
  type ConsumerProgress,
  type Decoded,
  type FetchBatching,
  type Instrument,
  type KafkaClient,
} from '@parley/kafka';
import type { Logger } from '@parley/logging';
import { presenceKeys } from '@parley/presence';
import { prefixedTopic } from '@parley/topics';
import { NOTIFIER_EVENTS, type NotifierInstrument } from './notifier-events';
import { NotifierStore, type ClaimedThread, type PendingNotice, type PendingOutcome } from './notifier-store';
import { buildPayload, decideThread, topicFor, type CollapseRules } from './notification-rules';
import { PushSettingsStore } from './push-settings-store';
import { PushSubscriptionStore, type StoredPushSubscription } from './push-subscriptions';
import { judgeAttempt, type PushRetryPolicy } from './send-outcome';
import type { PushMessage, PushTransport } from './web-push-sender';

export interface NotifierOptions {
  readonly kafka: KafkaClient;
  readonly pool: Pool;
  /** Presence (is the user online?), read only. */
  readonly redis: Redis;
  readonly serde: EventSerde;
  /** Produces the records the consumer cannot process to `chat.messages.dlq`. */
  readonly deadLetters: BatchingProducer;
  readonly topicPrefix: string;
  readonly redisKeyPrefix: string;
  readonly transport: PushTransport;
  readonly rules: CollapseRules;
  readonly retry: PushRetryPolicy;
  /** The push services keep a notification this long for a device that is away (RFC 8030 TTL). */
  readonly ttlSeconds: number;
  /** The notifier's clock (tests move it; the retries' waits are real time). */
  readonly now?: () => number;
  /** How often due threads are looked for (default 250 ms). */
  readonly tickMs?: number;
  /** Threads worked on at once (default 16). */
  readonly concurrency?: number;
  /**
   * Batched fetches of chat.messages (the app lingers NOTIFIER_BATCH_WAIT_MS; default: each record
   * as it comes). A notification waits PUSH_GRACE_MS anyway, so a few hundred ms more cost nothing,
   * and at everyday rates the notifier then fetches a few times a second instead of once a record.
   */
  readonly fetch?: FetchBatching;
  readonly logger?: Logger;
  readonly instrument?: Instrument;
  readonly report?: NotifierInstrument;
}

export interface Notifier {
  /** Its consumer, for readiness (libs/observability consumerChecks). */
  readonly consumers: readonly { progress(): ConsumerProgress }[];
  stop(): Promise<void>;
}

/** Done messages are remembered a day: an event read again within it is not told twice. */
const KEEP_DONE_MS = 24 * 3600 * 1000;
const CLEAN_UP_EVERY_MS = 60_000;
/** A thread whose work failed (PostgreSQL away) is looked at again after this. */
const AFTER_FAILURE_MS = 5_000;
/**
 * How long a thread stays taken by the notifier working on it, renewed every third of it while it
 * works: a notifier that dies lets its threads go within this time.
 */
const LEASE_MS = 30_000;

class Stopping extends Error {}

/** Waits `ms`, or rejects with Stopping as soon as the signal fires. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new Stopping());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Stopping());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

export async function startNotifier(options: NotifierOptions): Promise<Notifier> {
  const dispatcher = new Dispatcher(options);
  const consumer = new ConsumerRunner<ParleyEvent>(options.kafka, {
    groupId: `${options.topicPrefix}parley.notifier`,
    topics: [prefixedTopic(options.topicPrefix, 'chat.messages')],
    decode: (record) => options.serde.decode(record.value ?? Buffer.alloc(0)),
    handle: (items) => dispatcher.record(items),
    deadLetters: options.deadLetters,
    // A new group starts at the end: history is not notified. From then on its committed position
    // moves only past events whose pending rows are committed in PostgreSQL.
    fromBeginning: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    correlate: (event): Record<string, string> =>
      'messageId' in event
        ? { eventId: event.eventId, messageId: event.messageId }
        : { eventId: event.eventId },
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.instrument ? { instrument: options.instrument } : {}),
  });
  await consumer.start();
  dispatcher.start();
  return {
    consumers: [consumer],
    // The dispatcher first: its waits end at once and its threads are let go, however long the
    // consumer takes to leave its group.
    stop: async () => {
      await dispatcher.stop();
      await consumer.stop();
    },
  };
}

/** Records pending messages, then takes due threads and sends their notifications. */
class Dispatcher {
  private readonly store: NotifierStore;
  private readonly subscriptions: PushSubscriptionStore;
  private readonly settings: PushSettingsStore;
  private readonly now: () => number;
  private readonly report: NotifierInstrument;
  private readonly stopping = new AbortController();
  private readonly working = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private lastCleanUp = 0;

  constructor(private readonly options: NotifierOptions) {
    this.store = new NotifierStore(options.pool, options.rules);
    this.subscriptions = new PushSubscriptionStore(options.pool);
    this.settings = new PushSettingsStore(options.pool);
    this.now = options.now ?? Date.now;
    this.report = options.report ?? (() => undefined);
  }

  /** The consumer's handler: DeliveryPending of users with subscriptions become pending rows. */
  async record(items: readonly Decoded<ParleyEvent>[]): Promise<void> {
    const notices: PendingNotice[] = [];
    for (const { value: event } of items)
      if (event.type === 'DeliveryPending')
        notices.push({
          userId: event.recipientId,
          messageId: event.messageId,
          conversationId: event.conversationId,
          senderId: event.senderId,
        });
    if (notices.length === 0) return;
    const subscribed = await this.subscriptions.usersWithSubscriptions([
      ...new Set(notices.map((n) => n.userId)),
    ]);
    await this.store.record(
      notices.filter((n) => subscribed.has(n.userId)),
      this.now(),
    );
  }

  start(): void {
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => (this.ticking = undefined));
    }, this.options.tickMs ?? 250);
  }

  /** Stops taking threads; the ones in progress stop waiting and are let go, to be taken again. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    this.stopping.abort();
    await Promise.all(this.working.values());
  }

  private async tick(): Promise<void> {
    const { logger } = this.options;
    try {
      const now = this.now();
      if (now - this.lastCleanUp >= CLEAN_UP_EVERY_MS) {
        this.lastCleanUp = now;
        await this.store.cleanUp(now, KEEP_DONE_MS);
      }
      const free = (this.options.concurrency ?? 16) - this.working.size;
      if (free <= 0 || this.stopping.signal.aborted) return;
      const threads = await this.store.claimDue(now, free, now + LEASE_MS);
      for (const thread of threads) {
        const key = `${thread.userId}\0${thread.conversationId}`;
        this.working.set(
          key,
          this.work(thread).finally(() => this.working.delete(key)),
        );
      }
    } catch (error) {
      logger?.warn({ err: error }, 'looking for due notifications failed; the next tick tries again');
    }
  }

  private async work(thread: ClaimedThread): Promise<void> {
    const renewal = setInterval(() => {
      this.store
        .renew(thread, this.now() + LEASE_MS)
        .catch((error: unknown) =>
          this.options.logger?.warn({ err: error }, 'a notification lease could not be renewed'),
        );
    }, LEASE_MS / 3);
    try {
      await this.notify(thread);
    } catch (error) {
      const stopping = error instanceof Stopping;
      if (!stopping)
        this.options.logger?.warn(
          { err: error, userId: thread.userId, conversationId: thread.conversationId },
          'a notification failed; it is tried again',
        );
      // Taken again later (at once by the next notifier when stopping): a duplicate at worst.
      await this.store
        .release([thread], stopping ? undefined : this.now() + AFTER_FAILURE_MS)
        .catch(() => undefined);
    } finally {
      clearInterval(renewal);
    }
  }

  /** One thread: decide, send to each subscription, record how each message ended. */
  private async notify(thread: ClaimedThread): Promise<void> {
    const facts = await this.store.pendingFacts(thread);
    const [account, state, subscriptions] = await Promise.all([
      this.store.accountStatus(thread.userId),
      this.options.redis.get(presenceKeys(this.options.redisKeyPrefix).state(thread.userId)),
      this.subscriptions.ofUsers([thread.userId]),
    ]);
    const decision = decideThread({
      account,
      online: state === 'online',
      subscriptions: subscriptions.length,
      messages: facts,
    });
    const outcomes: { messageId: string; outcome: PendingOutcome }[] = decision.skipped.map((s) => ({
      messageId: s.messageId,
      outcome: s.reason,
    }));
    for (const reason of new Set(decision.skipped.map((s) => s.reason)))
      this.report({
        name: NOTIFIER_EVENTS.skipped,
        reason,
        messages: decision.skipped.filter((s) => s.reason === reason).length,
      });
    let notified = false;
    if (decision.notify.length > 0) {
      const senders = [...new Set(decision.notify.map((m) => m.senderId))];
      const [settings, { names, groupTitle }] = await Promise.all([
        this.settings.get(thread.userId),
        this.store.names(thread.conversationId, senders),
      ]);
      const payload = buildPayload({
        conversationId: thread.conversationId,
        messages: decision.notify,
        names,
        previews: settings.previews,
        ...(groupTitle ? { groupTitle } : {}),
      });
      const message: PushMessage = {
        payload: JSON.stringify(payload),
        topic: topicFor(thread.userId, thread.conversationId),
        ttlSeconds: this.options.ttlSeconds,
      };
      const results = await Promise.all(subscriptions.map((s) => this.deliver(s, message)));
      notified = results.includes('sent');
      const outcome: PendingOutcome = notified
        ? 'notified'
        : results.every((r) => r === 'gone')
          ? 'no-subscription'
          : 'failed';
      for (const m of decision.notify) outcomes.push({ messageId: m.messageId, outcome });
    }
    await this.store.finish(thread, outcomes, notified, this.now());
  }

  /** One message to one subscription, with retries; a subscription its push service disowns is dropped. */
  private async deliver(
    subscription: StoredPushSubscription,
    message: PushMessage,
  ): Promise<'sent' | 'gone' | 'failed'> {
    const { logger } = this.options;
    const signal = this.stopping.signal;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw new Stopping();
      const result = await this.options.transport.send(subscription, message, signal);
      if (signal.aborted) throw new Stopping();
      const verdict = judgeAttempt(result, attempt, this.options.retry, Date.now());
      switch (verdict.kind) {
        case 'sent':
          this.report({ name: NOTIFIER_EVENTS.sent });
          return 'sent';
        case 'gone':
          await this.subscriptions.drop(subscription);
          this.report({ name: NOTIFIER_EVENTS.dropped, status: verdict.status });
          logger?.info(
            {
              userId: subscription.userId,
              subscriptionId: subscription.subscriptionId,
              status: verdict.status,
            },
            'push subscription dropped: its push service no longer knows it',
          );
          return 'gone';
        case 'failed':
          this.report({ name: NOTIFIER_EVENTS.failed, cause: verdict.cause, reason: verdict.reason });
          logger?.warn(
            {
              userId: subscription.userId,
              subscriptionId: subscription.subscriptionId,
              reason: verdict.reason,
            },
            'push notification given up',
          );
          return 'failed';
        case 'retry':
          this.report({ name: NOTIFIER_EVENTS.retried, delayMs: verdict.delayMs });
          await pause(verdict.delayMs, signal);
          break;
      }
    }
  }
}
