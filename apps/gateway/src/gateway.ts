// Builds one gateway node from its clients: the services, the HTTP API and the STOMP endpoint on one
// server. main.ts gives it the configured clients; the integration tests give it a test world's.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import {
  AccountService,
  ProviderAccounts,
  ProviderSignIn,
  SignInFlows,
  SignInThrottle,
  type AccountEventPublisher,
  type SignInLimits,
} from '@parley/accounts';
import { PasswordHasher, type ConcurrencyLimit, type TokenService } from '@parley/auth';
import {
  DeliveryReceipts,
  DeviceFeed,
  InboxNotifications,
  InboxStore,
  type RetryBudget,
} from '@parley/delivery';
import type { TokenBucketLimit } from '@parley/domain';
import type { EventSerde } from '@parley/events';
import { clientAddressOf, createHttpApp, serveWebApp } from '@parley/http-api';
import type { SignInProvider } from '@parley/identity-providers';
import type { BatchingProducer, KafkaClient } from '@parley/kafka';
import {
  AccessWatch,
  ChannelHub,
  ChannelPublisher,
  LiveFeeds,
  SessionControl,
  TypingNotices,
  type Revocation,
} from '@parley/live';
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
import { PushService, loadVapidKeys, type VapidSettings } from '@parley/push';
import { EventPublisher } from '@parley/publishing';
import {
  attachStompEndpoint,
  chatDestinations,
  SessionRegistry,
  type InboxContext,
  type SessionLimits,
  type StompEndpoint,
} from '@parley/stomp-gateway';

export interface GatewayOptions {
  readonly kafka: KafkaClient;
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
  /** Admins by username (configured names cannot be registered) and by user id. */
  readonly adminUsernames: readonly string[];
  readonly adminUserIds?: readonly string[];
  readonly sendLimit: TokenBucketLimit;
  /** Read receipts and typing notices per user (unlimited when absent). */
  readonly readLimit?: TokenBucketLimit;
  readonly typingLimit?: TokenBucketLimit;
  readonly lookupLimit?: TokenBucketLimit;
  readonly groupMembersMax?: number;
  /** How long after sending the sender may edit a message (EDIT_WINDOW_MS; default 24 h). */
  readonly editWindowMs?: number;
  /** Login and registration per client address and per username, counted in Redis by all nodes. */
  readonly signInLimits: SignInLimits;
  /** Password hashes and checks at once on this node, and how many may wait. */
  readonly passwordHashing: ConcurrencyLimit;
  /** Whose X-Forwarded-For gives the client's address (default: nobody; the socket's address). */
  readonly trustProxy?: false | number | readonly string[];
  /** Sign-in with a provider (default: no providers; the identity routes still answer). */
  readonly signIn?: {
    readonly providers: readonly SignInProvider[];
    /** PUBLIC_BASE_URL: where browsers reach this gateway (callback URLs, the web app's landing). */
    readonly publicBaseUrl: string;
    readonly mergeVerifiedEmail: boolean;
  };
  /** Wraps what accounts publish through (tests put a Kafka fault in front of the real producer). */
  readonly accountsPublisher?: (publisher: EventPublisher) => AccountEventPublisher;
  readonly port: number;
  /** Where the built web app is (`dist/apps/web`), served at `/`; without it, no web app is served. */
  readonly webAppDir?: string;
  readonly maxFrameBytes: number;
  readonly heartBeatMs: number;
  readonly presence: PresenceOptions;
  /**
   * What one session may hold (its outbound buffer too), how many sessions one user and how many
   * WebSocket connections one client address may have on this node.
   */
  readonly sessionLimits?: Partial<SessionLimits> & {
    readonly maxSessionsPerUser?: number;
    readonly maxConnectionsPerIp?: number;
  };
  /** Redelivery of unACKed inbox items while a device stays, and when to give up (MessageFailed). */
  readonly retry?: Partial<RetryBudget>;
  /** Most inbox items written to a device and not ACKed at once. */
  readonly inboxWindow?: number;
  /**
   * Web Push subscriptions and settings (`/v1/push/...`): the cap per user, whether loopback http
   * endpoints are accepted (tests), and the VAPID keys (the environment's, or the installation's).
   */
  readonly push?: {
    readonly maxSubscriptionsPerUser: number;
    readonly allowLoopbackHttp: boolean;
    readonly vapid: VapidSettings;
  };
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
  /** This node's password hashing (its load shows the cap at work). */
  readonly passwords: PasswordHasher;
  readonly messages: MessageService;
  /** Ends every STOMP session, then stops accepting HTTP. */
  close(): Promise<void>;
}

/** Sessions one user may hold on one gateway node (phones, tabs, laptops). */
const DEFAULT_MAX_SESSIONS_PER_USER = 20;

/** Carries out on this node's sessions what the log revoked. */
function enforce(registry: SessionRegistry, revocation: Revocation, logger?: Logger): void {
  if (revocation.kind === 'end-feed') {
    const ended = registry.endConversationFeeds(revocation.userId, revocation.conversationId);
    if (ended > 0) logger?.info({ ...revocation, ended }, 'ended the live feeds of a removed member');
    return;
  }
  const ended = registry.kickUser(
    revocation.userId,
    'ACCOUNT_DISABLED',
    `this account is ${revocation.status.toLowerCase()}`,
  );
  if (ended > 0)
    logger?.info({ userId: revocation.userId, ended }, 'ended the sessions of a disabled account');
}

/**
 * How long a send attempt holds its messageId, and a registration its username, before a retry may
 * take over (above the producer's 30 s timeout).
 */
const CLAIM_LEASE_MS = 40_000;

/** The node's services: accounts, sending, conversations, and the live side they notify. */
function buildServices(options: GatewayOptions) {
  const { pool, logger } = options;
  const prefix = options.redisKeyPrefix;
  const publisher = new EventPublisher(options.producer, options.serde, options.topicPrefix);
  const directory = new Directory(pool);
  const typing = new TypingNotices(pool, new ChannelPublisher(options.redis, prefix, logger));
  const presence = new PresenceTracker(options.redis, prefix, publisher, options.presence, logger);
  const passwords = new PasswordHasher(options.passwordHashing);
  const accountsPublisher = options.accountsPublisher?.(publisher) ?? publisher;
  const admins = { usernames: options.adminUsernames, userIds: options.adminUserIds ?? [] };
  const throttle = new SignInThrottle(options.redis, prefix, options.signInLimits, logger);
  const providerAccounts = new ProviderAccounts({
    pool,
    publisher: accountsPublisher,
    tokens: options.tokens,
    mergeVerifiedEmail: options.signIn?.mergeVerifiedEmail ?? false,
    admins,
    passwords,
    claimLeaseMs: CLAIM_LEASE_MS,
    ...(logger ? { logger } : {}),
  });
  const publicBaseUrl = options.signIn?.publicBaseUrl ?? `http://127.0.0.1:${options.port}`;
  return {
    providerAccounts,
    providerSignIn: new ProviderSignIn({
      providers: options.signIn?.providers ?? [],
      flows: new SignInFlows(options.redis, prefix),
      accounts: providerAccounts,
      publicBaseUrl,
      throttle,
      ...(logger ? { logger } : {}),
    }),
    secureCookies: publicBaseUrl.startsWith('https:'),
    pool,
    publisher,
    directory,
    presence,
    passwords,
    accounts: new AccountService({
      pool,
      publisher: accountsPublisher,
      tokens: options.tokens,
      admins,
      throttle,
      passwords,
      claimLeaseMs: CLAIM_LEASE_MS,
      ...(logger ? { logger } : {}),
    }),
    messages: new MessageService({
      pool,
      publisher,
      directory,
      claims: new MessageClaims(pool, CLAIM_LEASE_MS),
      rateLimiter: new SendRateLimiter(options.redis, prefix, options.sendLimit, logger),
      ...(options.readLimit
        ? {
            readLimiter: new SendRateLimiter(
              options.redis,
              prefix,
              options.readLimit,
              logger,
              Date.now,
              'read',
            ),
          }
        : {}),
      ...(options.typingLimit
        ? {
            typingLimiter: new SendRateLimiter(
              options.redis,
              prefix,
              options.typingLimit,
              logger,
              Date.now,
              'typing',
            ),
          }
        : {}),
      onTyping: (conversationId, userId) => typing.typing(conversationId, userId),
      ...(options.editWindowMs !== undefined ? { editWindowMs: options.editWindowMs } : {}),
      ...(logger ? { logger } : {}),
    }),
    conversations: new ConversationService({
      pool,
      publisher,
      directory,
      ...(options.groupMembersMax ? { maxMembers: options.groupMembersMax } : {}),
    }),
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
  const notifications = new InboxNotifications(hub, options.redisKeyPrefix, inboxes, logger);
  const openInbox = (context: InboxContext) =>
    new DeviceFeed({
      userId: context.userId,
      deviceId: context.deviceId,
      autoAck: context.autoAck,
      store: inboxes,
      notifications,
      push: (item) => context.push(item.position, item.body),
      ready: () => context.ready(),
      acknowledged: (userId, deviceId, positions) => receipts.acknowledged(userId, deviceId, positions),
      exhausted: (userId, deviceId, items) => receipts.exhausted(userId, deviceId, items),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.inboxWindow ? { window: options.inboxWindow } : {}),
      ...(logger ? { logger } : {}),
    });
  /**
   * ACKs already taken are recorded (before the caller closes PostgreSQL and Kafka): the marks
   * first, which carry the position saves of their ACKs; then the saves no mark took. A position
   * saved before its item's mark could leave the item neither delivered nor given again.
   */
  const drained = async () => {
    notifications.stop();
    await receipts.drained();
    await inboxes.positionsSaved();
  };
  return { openInbox, drained };
}

/** The push routes' service, with the installation's VAPID public key (created if this node is first). */
async function pushService(
  pool: Pool,
  push: NonNullable<GatewayOptions['push']>,
  logger?: Logger,
): Promise<PushService> {
  const { keys, source } = await loadVapidKeys(pool, push.vapid);
  logger?.info({ source }, 'VAPID public key ready for the web app');
  return new PushService({
    pool,
    vapidPublicKey: keys.publicKey,
    maxSubscriptionsPerUser: push.maxSubscriptionsPerUser,
    endpoints: { allowLoopbackHttp: push.allowLoopbackHttp },
  });
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
  metrics.gauge(
    'parley_password_hashes_running',
    'password hashes and checks running on this node',
    () => services.passwords.load.running,
  );
  metrics.gauge(
    'parley_password_hashes_waiting',
    'password hashes and checks waiting for a slot on this node',
    () => services.passwords.load.waiting,
  );
  const control = new SessionControl(
    options.redis,
    options.redisSubscriber,
    options.redisKeyPrefix,
    registry,
    logger,
  );
  await control.start();
  const access = new AccessWatch({
    kafka: options.kafka,
    serde: options.serde,
    deadLetters: options.producer,
    topicPrefix: options.topicPrefix,
    enforce: (revocation) => enforce(registry, revocation, logger),
    ...(logger ? { logger } : {}),
  });
  await access.start();
  const maxSessionsPerUser = options.sessionLimits?.maxSessionsPerUser ?? DEFAULT_MAX_SESSIONS_PER_USER;
  const opsOptions = {
    metrics,
    ...(options.observability?.lag ? { lag: options.observability.lag } : {}),
    checks: { ...dependencyChecks({ pool, redis: options.redis }), ...options.observability?.checks },
  };
  const push = options.push && (await pushService(options.pool, options.push, logger));
  const app = createHttpApp({
    accounts,
    providers: {
      signIn: services.providerSignIn,
      accounts: services.providerAccounts,
      secureCookies: services.secureCookies,
    },
    messaging: {
      pool,
      messages,
      conversations: services.conversations,
      directory,
      presenceOf: (userId) => readPresence(pool, presence, userId),
      ...(options.lookupLimit
        ? {
            lookupLimiter: new SendRateLimiter(
              options.redis,
              options.redisKeyPrefix,
              options.lookupLimit,
              logger,
              Date.now,
              'lookup',
            ),
          }
        : {}),
    },
    ...(push ? { push } : {}),
    onAccountStatusChanged: async (userId, status) => control.accountStatusChanged(userId, status),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(logger ? { logger } : {}),
    ops: opsMiddleware(opsOptions, PUBLIC_OPS_ENDPOINTS),
    ...(options.webAppDir ? { webApp: serveWebApp(options.webAppDir) } : {}),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(options.port, '127.0.0.1', () => resolve(s));
  });
  const listener = options.observability?.opsListener;
  const opsServer = listener && (await listening(startOpsServer(listener.port, opsOptions, listener.host)));
  const stomp = attachStompEndpoint(server, {
    authenticate: (token) => accounts.authenticateSession(token),
    isMember: (conversationId, userId) => directory.isMember(conversationId, userId),
    wasRemoved: (conversationId, userId) => access.revocations.wasRemoved(conversationId, userId, Date.now()),
    mayAct: (userId) => !access.revocations.isDisabled(userId),
    admit: (userId) => registry.sessionsOf(userId).length < maxSessionsPerUser,
    // Counted by the address the sign-in limits see (HTTP_TRUST_PROXY decides whom to believe).
    clientAddress: clientAddressOf(app),
    ...(options.sessionLimits?.maxConnectionsPerIp
      ? { maxConnectionsPerAddress: options.sessionLimits.maxConnectionsPerIp }
      : {}),
    ...(options.sessionLimits ? { limits: options.sessionLimits } : {}),
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
    passwords: services.passwords,
    messages,
    close: async () => {
      // Sessions end while Redis is still there, so their users' presence follows at once.
      await presenceSessions.closeAll();
      await access.stop();
      for (const client of stomp.wss.clients) client.close(1001, 'server shutting down');
      await delivery.drained();
      hub.stop();
      // Sends answered a moment ago have their claims marked (the mark lingers to share a statement).
      await messages.drained();
      server.closeAllConnections();
      opsServer?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
