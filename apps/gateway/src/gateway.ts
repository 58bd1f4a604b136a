// Builds one gateway node from its clients: the services, the HTTP API and the STOMP endpoint on one
// server. main.ts gives it the configured clients; the integration tests give it a test world's.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { AccountService } from '@parley/accounts';
import type { TokenService } from '@parley/auth';
import {
  DeliveryReceipts,
  DeviceFeed,
  InboxNotifications,
  InboxStore,
  type RetryBudget,
} from '@parley/delivery';
import type { TokenBucketLimit } from '@parley/domain';
import type { EventSerde } from '@parley/events';
import { createHttpApp } from '@parley/http-api';
import type { BatchingProducer } from '@parley/kafka';
import { ChannelHub, ChannelPublisher, LiveFeeds, SessionControl, TypingNotices } from '@parley/live';
import type { Logger } from '@parley/logging';
import {
  ConversationService,
  Directory,
  MessageClaims,
  MessageService,
  SendRateLimiter,
} from '@parley/messaging';
import {
  PUBLIC_OPS_ENDPOINTS,
  ServiceMetrics,
  dependencyChecks,
  listening,
  opsMiddleware,
  startOpsServer,
  type LagCollector,
  type ReadinessCheck,
} from '@parley/observability';
import { PresenceSessions, PresenceTracker, readPresence, type PresenceOptions } from '@parley/presence';
import { EventPublisher } from '@parley/publishing';
import {
  attachStompEndpoint,
  chatDestinations,
  SessionRegistry,
  type InboxContext,
  type StompEndpoint,
} from '@parley/stomp-gateway';

export interface GatewayOptions {
  readonly pool: Pool;
  readonly producer: BatchingProducer;
  readonly serde: EventSerde;
  /** Commands (rate limits, notices to other nodes). */
  readonly redis: Redis;
  /** A second connection in subscriber mode, for the notices of other nodes. */
  readonly redisSubscriber: Redis;
  readonly redisKeyPrefix: string;
  readonly tokens: TokenService;
  readonly topicPrefix: string;
  readonly adminUsernames: readonly string[];
  readonly sendLimit: TokenBucketLimit;
  readonly port: number;
  readonly maxFrameBytes: number;
  readonly heartBeatMs: number;
  readonly presence: PresenceOptions;
  /** Redelivery of unACKed inbox items while a device stays, and when to give up (MessageFailed). */
  readonly retry?: Partial<RetryBudget>;
  /** Metrics, lag and readiness checks beyond PostgreSQL and Redis (default: metrics of its own). */
  readonly observability?: {
    readonly metrics: ServiceMetrics;
    readonly lag?: LagCollector;
    readonly checks?: Readonly<Record<string, ReadinessCheck>>;
    /**
     * Where `/readyz` and `/metrics` are served (OPS_HOST, GATEWAY_OPS_PORT; port 0: any free one).
     * The public port answers `/healthz` only; without this, nothing serves the other two.
     */
    readonly opsListener?: { readonly host: string; readonly port: number };
  };
  readonly logger?: Logger;
}

export interface Gateway {
  readonly server: Server;
  readonly port: number;
  /** The port of the ops listener, when one was asked for. */
  readonly opsPort: number | undefined;
  readonly stomp: StompEndpoint;
  readonly accounts: AccountService;
  readonly messages: MessageService;
  /** Ends every STOMP session, then stops accepting HTTP. */
  close(): Promise<void>;
}

/** How long a send attempt holds its messageId before a retry may take over (above the producer's 30 s timeout). */
const CLAIM_LEASE_MS = 40_000;

/** The node's services: accounts, sending, conversations, and the live side they notify. */
function buildServices(options: GatewayOptions) {
  const { pool, logger } = options;
  const prefix = options.redisKeyPrefix;
  const publisher = new EventPublisher(options.producer, options.serde, options.topicPrefix);
  const directory = new Directory(pool);
  const typing = new TypingNotices(pool, new ChannelPublisher(options.redis, prefix, logger));
  const presence = new PresenceTracker(options.redis, prefix, publisher, options.presence, logger);
  return {
    pool,
    publisher,
    directory,
    presence,
    accounts: new AccountService({
      pool,
      publisher,
      tokens: options.tokens,
      adminUsernames: options.adminUsernames,
    }),
    messages: new MessageService({
      pool,
      publisher,
      directory,
      claims: new MessageClaims(pool, CLAIM_LEASE_MS),
      rateLimiter: new SendRateLimiter(options.redis, prefix, options.sendLimit, logger),
      onTyping: (conversationId, userId) => typing.typing(conversationId, userId),
      ...(logger ? { logger } : {}),
    }),
    conversations: new ConversationService({ pool, publisher, directory }),
  };
}

type Services = ReturnType<typeof buildServices>;

/** Inbox delivery on this node: stored items, their announcements, and what the ACKs record. */
function buildDelivery(
  options: GatewayOptions,
  services: Services,
  hub: ChannelHub,
  metrics: ServiceMetrics,
) {
  const { logger } = options;
  const inboxes = new InboxStore(options.pool);
  const receipts = new DeliveryReceipts({
    store: inboxes,
    publisher: services.publisher,
    onDelivered: (ms) => metrics.sendToDeliver.observe(ms / 1000),
    ...(logger ? { logger } : {}),
  });
  const notifications = new InboxNotifications(hub, options.redisKeyPrefix);
  const openInbox = (context: InboxContext) =>
    new DeviceFeed({
      userId: context.userId,
      deviceId: context.deviceId,
      autoAck: context.autoAck,
      store: inboxes,
      notifications,
      push: (item) => context.push(item.position, item.body),
      acknowledged: (userId, deviceId, positions) => receipts.acknowledged(userId, deviceId, positions),
      exhausted: (userId, deviceId, items) => receipts.exhausted(userId, deviceId, items),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(logger ? { logger } : {}),
    });
  /** ACKs already taken are recorded (before the caller closes PostgreSQL and Kafka). */
  const drained = () => Promise.all([receipts.drained(), inboxes.positionsSaved()]);
  return { openInbox, drained };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { pool, logger } = options;
  const services = buildServices(options);
  const { accounts, messages, directory, presence } = services;
  const hub = new ChannelHub(options.redisSubscriber, logger);
  const metrics = options.observability?.metrics ?? new ServiceMetrics('gateway');
  const delivery = buildDelivery(options, services, hub, metrics);
  const presenceSessions = new PresenceSessions(presence, options.presence.sessionTtlMs, logger);
  const liveFeeds = new LiveFeeds(hub, options.redisKeyPrefix);
  const registry = new SessionRegistry();
  metrics.gauge('parley_stomp_sessions_open', 'STOMP sessions open on this node', () => registry.size);
  const control = new SessionControl(
    options.redis,
    options.redisSubscriber,
    options.redisKeyPrefix,
    registry,
    logger,
  );
  await control.start();
  const opsOptions = {
    metrics,
    ...(options.observability?.lag ? { lag: options.observability.lag } : {}),
    checks: { ...dependencyChecks({ pool, redis: options.redis }), ...options.observability?.checks },
  };
  const app = createHttpApp({
    accounts,
    messaging: {
      pool,
      messages,
      conversations: services.conversations,
      directory,
      presenceOf: (userId) => readPresence(pool, presence, userId),
    },
    onAccountStatusChanged: async (userId, status) => control.accountStatusChanged(userId, status),
    ...(logger ? { logger } : {}),
    ops: opsMiddleware(opsOptions, PUBLIC_OPS_ENDPOINTS),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(options.port, '127.0.0.1', () => resolve(s));
  });
  const listener = options.observability?.opsListener;
  const opsServer = listener && (await listening(startOpsServer(listener.port, opsOptions, listener.host)));
  const stomp = attachStompEndpoint(server, {
    authenticate: (token) => accounts.authenticate(token),
    isMember: (conversationId, userId) => directory.isMember(conversationId, userId),
    handleSend: chatDestinations(messages),
    watchUser: (userId, deliver) => liveFeeds.watchUser(userId, deliver),
    watchConversation: (conversationId, deliver) => liveFeeds.watchConversation(conversationId, deliver),
    // A session keeps its user online while it lives (its heart-beats keep it alive).
    lifecycle: {
      opened: (session) => presenceSessions.opened(session.user as string, session.id),
      closed: (session) => presenceSessions.closed(session.id),
    },
    openInbox: delivery.openInbox,
    registry,
    observeFrame: (command) => metrics.stompFrames.inc({ command }),
    maxFrameBytes: options.maxFrameBytes,
    heartBeat: { sendMs: options.heartBeatMs, receiveMs: options.heartBeatMs },
    ...(logger ? { logger } : {}),
  });

  return {
    server,
    port: (server.address() as AddressInfo).port,
    opsPort: opsServer ? (opsServer.address() as AddressInfo).port : undefined,
    stomp,
    accounts,
    messages,
    close: async () => {
      // Sessions end while Redis is still there, so their users' presence follows at once.
      await presenceSessions.closeAll();
      for (const client of stomp.wss.clients) client.close(1001, 'server shutting down');
      await delivery.drained();
      server.closeAllConnections();
      opsServer?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
