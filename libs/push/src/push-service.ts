import type { Pool } from 'pg';
import { notFound } from '@parley/domain';
import {
  parsePushSettings,
  parsePushSubscription,
  type EndpointPolicy,
  type PushSettings,
} from './push-requests';
import { PushSettingsStore } from './push-settings-store';
import { PushSubscriptionStore, type PushSubscriptionView } from './push-subscriptions';

export interface PushServiceOptions {
  readonly pool: Pool;
  /** The installation's VAPID public key (the browser's `applicationServerKey`). */
  readonly vapidPublicKey: string;
  /** PUSH_MAX_SUBSCRIPTIONS_PER_USER */
  readonly maxSubscriptionsPerUser: number;
  readonly endpoints: EndpointPolicy;
}

/**
 * What the gateway's push routes do for the caller: register, list and delete their own push
 * subscriptions, read and change their notification settings, and hand out the VAPID public key.
 * Bodies arrive as `unknown` objects and are parsed here, once.
 */
export class PushService {
  private readonly subscriptions: PushSubscriptionStore;
  private readonly settings: PushSettingsStore;

  constructor(private readonly options: PushServiceOptions) {
    this.subscriptions = new PushSubscriptionStore(options.pool);
    this.settings = new PushSettingsStore(options.pool);
  }

  get vapidPublicKey(): string {
    return this.options.vapidPublicKey;
  }

  get maxSubscriptionsPerUser(): number {
    return this.options.maxSubscriptionsPerUser;
  }

  subscribe(userId: string, body: Readonly<Record<string, unknown>>) {
    const input = parsePushSubscription(body, this.options.endpoints);
    return this.subscriptions.register(userId, input, this.options.maxSubscriptionsPerUser);
  }

  list(userId: string): Promise<PushSubscriptionView[]> {
    return this.subscriptions.list(userId);
  }

  /** Another user's subscription is answered like a missing one: its id says nothing. */
  async unsubscribe(userId: string, subscriptionId: string): Promise<void> {
    if (!(await this.subscriptions.remove(userId, subscriptionId)))
      throw notFound('push subscription', subscriptionId);
  }

  settingsOf(userId: string): Promise<PushSettings> {
    return this.settings.get(userId);
  }

  changeSettings(userId: string, body: Readonly<Record<string, unknown>>): Promise<PushSettings> {
    return this.settings.set(userId, parsePushSettings(body));
  }
}
