import { z } from 'zod';
import { ConfigError } from './config-error';
import { isSecretVariable, parseSignInProviders, type ProviderSettings } from './sign-in-providers';

/** Shortest token signing secret accepted: HS256 wants at least 256 bits of key. */
export const JWT_SECRET_MIN_LENGTH = 32;

/** Variables whose values never appear in an error message. */
const SECRET_VARIABLES = new Set(['JWT_SECRET', 'KAFKA_SASL_PASSWORD', 'VAPID_PRIVATE_KEY']);

const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected host:port');

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

const port = z.coerce.number().int().min(0).max(65535);

/** A key in base64url (as web-push and browsers write them) of exactly `bytes` bytes. */
const base64urlKey = (bytes: number, what: string) =>
  z
    .string()
    .refine(
      (value) => /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').length === bytes,
      `expected ${what}: ${bytes} bytes in base64url`,
    );

/**
 * The token signing secret has no default: a default would be a constant in the repository, and
 * anyone who read it could sign tokens that every installation accepts. `npm start` generates one
 * per installation (tools/stack); every other way of starting a service must set it.
 */
const jwtSecret = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? `is not set: set it to a random secret of at least ${JWT_SECRET_MIN_LENGTH} characters ` +
          '(for example the output of `openssl rand -base64 48`), the same on every node'
        : 'expected a string',
  })
  .min(JWT_SECRET_MIN_LENGTH, `must be at least ${JWT_SECRET_MIN_LENGTH} characters`);

const commaList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );
const perMinute = z.coerce.number().positive().max(1_000_000);
const burst = z.coerce.number().int().min(1).max(1_000_000);
const bucket = (perMinuteRate: number, capacity: number) => ({
  capacity,
  refillPerSecond: perMinuteRate / 60,
});

/**
 * Express's `trust proxy`: whom to believe about the client's address (X-Forwarded-For). `false`:
 * nobody, the socket's address counts; a number: that many proxies in front; otherwise a
 * comma-separated list of proxy addresses or subnets, or `loopback`, `linklocal`, `uniquelocal`.
 * `true` (believe any header) is refused: a client could then pick its own address.
 */
export type TrustProxy = false | number | readonly string[];

const PROXY_ENTRY = /^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/;

function parseTrustProxy(value: string, ctx: z.RefinementCtx): TrustProxy {
  const text = value.trim().toLowerCase();
  if (text === 'false' || text === 'off' || text === '0') return false;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim());
  if (text !== 'true' && entries.every((entry) => PROXY_ENTRY.test(entry))) return entries;
  ctx.addIssue({
    code: 'custom',
    message:
      'expected false, a number of proxies, or proxy addresses/subnets (or loopback, linklocal, uniquelocal); true would let clients choose their address',
  });
  return z.NEVER;
}

/** Every variable Parley reads, with its local default. Documented in the README's configuration table. */
const envShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) => value.split(',').map((b) => b.trim()))
    .pipe(z.array(hostPort).min(1)),
  KAFKA_CLIENT_ID: z.string().min(1).default('parley'),
  // A send Kafka has not acknowledged by then is answered 503 UNAVAILABLE (retry with the same messageId).
  KAFKA_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),
  KAFKA_SSL: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  KAFKA_SSL_CA_FILE: z.string().optional(),
  KAFKA_SSL_CERT_FILE: z.string().optional(),
  KAFKA_SSL_KEY_FILE: z.string().optional(),
  KAFKA_SASL_MECHANISM: z
    .enum(['plain', 'scram-sha-256', 'scram-sha-512'], {
      error: 'expected plain, scram-sha-256 or scram-sha-512',
    })
    .optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, 'only letters, digits, ".", "_" and "-"')
    .default(''),
  TOPIC_PROFILE: z.enum(['local', 'production']).default('local'),
  SCHEMA_REGISTRY_URL: url(['http:', 'https:']).default('http://127.0.0.1:8081'),
  SCHEMA_REGISTRY_PORT: port.default(8081),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/parley'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('parley:'),
  GATEWAY_PORT: port.default(8080),
  PROJECTOR_PORT: port.default(8082),
  DELIVERY_PORT: port.default(8083),
  ANALYTICS_PORT: port.default(8084),
  // The ops endpoints (/readyz, /metrics) name internal hosts and topics: they get a listener of
  // their own, on a private address, apart from the public API ports.
  OPS_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:_-]+$/, 'expected a host name or IP address')
    .default('127.0.0.1'),
  GATEWAY_OPS_PORT: port.default(9080),
  ANALYTICS_OPS_PORT: port.default(9084),
  CONSUMER_STALL_MS: z.coerce.number().int().min(1_000).default(60_000),
  STOMP_MAX_FRAME_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
  STOMP_HEARTBEAT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  // Session limits (the STOMP session's own numbers).
  STOMP_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  STOMP_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(2).max(10_000).default(64),
  STOMP_MAX_SESSIONS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(20),
  STOMP_MAX_SENDS_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(128),
  // Loopback benchmarks open thousands from 127.0.0.1 and set their own; 1,000 leaves a NAT room.
  STOMP_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  STOMP_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(1024 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  ADMIN_USERNAMES: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  PRESENCE_SESSION_TTL_MS: z.coerce.number().int().min(1_000).default(30_000),
  PRESENCE_OFFLINE_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  DELIVERY_TTL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(7 * 24 * 3600 * 1000),
  DELIVERY_RETRY_INITIAL_MS: z.coerce.number().int().min(100).default(2_000),
  DELIVERY_RETRY_MAX_MS: z.coerce.number().int().min(100).default(60_000),
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(30),
  INBOX_WINDOW: z.coerce.number().int().min(1).max(100_000).default(1_000),
  INBOX_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(30 * 24 * 3600 * 1000),
  ANALYTICS_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60 * 60_000)
    .default(30 * 24 * 3600 * 1000),
  ANALYTICS_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  // Lingering consumers send no heartbeat while they wait: well below the 30 s session timeout.
  PROJECTOR_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(5_000).default(50),
  NOTIFIER_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(5_000).default(500),
  SEND_RATE_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(20),
  SEND_RATE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(60),
  READ_RATE_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(10),
  READ_RATE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(30),
  TYPING_RATE_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(2),
  TYPING_RATE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(5),
  // Looking users up by username or id: enough for a screen of names, too few to walk the user base.
  LOOKUP_RATE_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(5),
  LOOKUP_RATE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(60),
  GROUP_MEMBERS_MAX: z.coerce.number().int().min(2).max(100_000).default(1_000),
  // How long after sending the sender may edit a message (24 h; at most a year).
  EDIT_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(366 * 24 * 3600 * 1000)
    .default(24 * 3600 * 1000),
  // Accounts hardening: admins by id, sign-in limits, the password hashing cap, client addresses.
  ADMIN_USER_IDS: commaList,
  LOGIN_USERNAME_RATE_PER_MINUTE: perMinute.default(10),
  LOGIN_USERNAME_BURST: burst.default(10),
  LOGIN_IP_RATE_PER_MINUTE: perMinute.default(30),
  LOGIN_IP_BURST: burst.default(30),
  REGISTER_IP_RATE_PER_MINUTE: perMinute.default(10),
  REGISTER_IP_BURST: burst.default(10),
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(2),
  PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(100_000).default(32),
  HTTP_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx) => parseTrustProxy(value, ctx)),
  // Sign-in with a provider (the providers themselves: sign-in-providers.ts).
  PUBLIC_BASE_URL: url(['http:', 'https:'])
    .refine((value) => new URL(value).pathname === '/' && !/[?#]/.test(value), 'expected an origin only')
    .optional(),
  PROVIDER_MERGE_VERIFIED_EMAIL: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  PROVIDER_SIGN_IN_IP_RATE_PER_MINUTE: perMinute.default(30),
  PROVIDER_SIGN_IN_IP_BURST: burst.default(30),
  // Web Push (issue 14): the notifier's ops port, its pacing and retries, the subscriptions' cap.
  NOTIFIER_PORT: port.default(8085),
  PUSH_MAX_SUBSCRIPTIONS_PER_USER: z.coerce.number().int().min(1).max(1_000).default(10),
  PUSH_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(3_000),
  PUSH_COLLAPSE_WINDOW_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  // RFC 8030 TTL; push services keep a message at most four weeks.
  PUSH_TTL_SECONDS: z.coerce.number().int().min(0).max(2_419_200).default(86_400),
  PUSH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  PUSH_RETRY_INITIAL_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  PUSH_RETRY_MAX_MS: z.coerce.number().int().min(10).max(600_000).default(60_000),
  PUSH_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  PUSH_ALLOW_LOOPBACK_HTTP: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  VAPID_PUBLIC_KEY: base64urlKey(65, 'an uncompressed P-256 public key').optional(),
  VAPID_PRIVATE_KEY: base64urlKey(32, 'a P-256 private key').optional(),
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'expected a mailto: address or an https: URL')
    .default('mailto:push@parley.invalid'),
};

type Env = z.output<z.ZodObject<typeof envShape>>;

/** How Parley's Kafka clients reach the brokers: TLS (files are PEM paths, read at start) and SASL. */
export interface KafkaSecurity {
  readonly ssl?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

/** The TLS and SASL variables must agree with each other: a half-configured security is refused. */
function checkKafkaSecurity(env: Env, ctx: z.RefinementCtx): void {
  const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (env.KAFKA_SASL_MECHANISM) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const)
      if (!env[name]) problem(name, `is not set: KAFKA_SASL_MECHANISM=${env.KAFKA_SASL_MECHANISM} needs it`);
  } else {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const)
      if (env[name]) problem(name, 'is set but KAFKA_SASL_MECHANISM is not: set the mechanism too');
  }
  if (!env.KAFKA_SSL) {
    for (const name of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const)
      if (env[name]) problem(name, 'is set but KAFKA_SSL is not true: set KAFKA_SSL=true to use it');
  }
  if (Boolean(env.KAFKA_SSL_CERT_FILE) !== Boolean(env.KAFKA_SSL_KEY_FILE)) {
    const missing = env.KAFKA_SSL_CERT_FILE ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE';
    problem(
      missing,
      'is not set: a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE',
    );
  }
}

/** A VAPID key pair from the environment is whole or absent (then the installation's is used). */
function checkVapidPair(env: Env, ctx: z.RefinementCtx): void {
  if (Boolean(env.VAPID_PUBLIC_KEY) === Boolean(env.VAPID_PRIVATE_KEY)) return;
  const missing = env.VAPID_PUBLIC_KEY ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY';
  ctx.addIssue({
    code: 'custom',
    path: [missing],
    message: 'is not set: a VAPID key pair needs both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY',
  });
}

function kafkaSecurity(env: Env): KafkaSecurity {
  return {
    ...(env.KAFKA_SSL
      ? {
          ssl: {
            ...(env.KAFKA_SSL_CA_FILE ? { caFile: env.KAFKA_SSL_CA_FILE } : {}),
            ...(env.KAFKA_SSL_CERT_FILE ? { certFile: env.KAFKA_SSL_CERT_FILE } : {}),
            ...(env.KAFKA_SSL_KEY_FILE ? { keyFile: env.KAFKA_SSL_KEY_FILE } : {}),
          },
        }
      : {}),
    ...(env.KAFKA_SASL_MECHANISM
      ? {
          sasl: {
            mechanism: env.KAFKA_SASL_MECHANISM,
            username: env.KAFKA_SASL_USERNAME ?? '',
            password: env.KAFKA_SASL_PASSWORD ?? '',
          },
        }
      : {}),
  };
}

function toConfig(env: Env) {
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    kafka: {
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      topicPrefix: env.TOPIC_PREFIX,
      topicProfile: env.TOPIC_PROFILE,
      sendTimeoutMs: env.KAFKA_SEND_TIMEOUT_MS,
      security: kafkaSecurity(env),
    },
    schemaRegistry: { url: env.SCHEMA_REGISTRY_URL, port: env.SCHEMA_REGISTRY_PORT },
    postgres: { url: env.DATABASE_URL },
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
    gateway: {
      port: env.GATEWAY_PORT,
      maxFrameBytes: env.STOMP_MAX_FRAME_BYTES,
      heartBeatMs: env.STOMP_HEARTBEAT_MS,
      opsPort: env.GATEWAY_OPS_PORT,
      sessionLimits: {
        connectTimeoutMs: env.STOMP_CONNECT_TIMEOUT_MS,
        maxSubscriptions: env.STOMP_MAX_SUBSCRIPTIONS,
        maxSessionsPerUser: env.STOMP_MAX_SESSIONS_PER_USER,
        maxSendsInFlight: env.STOMP_MAX_SENDS_IN_FLIGHT,
        maxConnectionsPerIp: env.STOMP_MAX_CONNECTIONS_PER_IP,
        maxBufferedBytes: env.STOMP_MAX_BUFFERED_BYTES,
      },
    },
    projector: { port: env.PROJECTOR_PORT, batchWaitMs: env.PROJECTOR_BATCH_WAIT_MS },
    analytics: {
      port: env.ANALYTICS_PORT,
      opsPort: env.ANALYTICS_OPS_PORT,
      retentionMs: env.ANALYTICS_RETENTION_MS,
      batchWaitMs: env.ANALYTICS_BATCH_WAIT_MS,
    },
    /** Where the ops listeners bind, and when a consumer with work waiting counts as stuck. */
    ops: { host: env.OPS_HOST, consumerStallMs: env.CONSUMER_STALL_MS },
    delivery: {
      port: env.DELIVERY_PORT,
      ttlMs: env.DELIVERY_TTL_MS,
      retentionMs: env.INBOX_RETENTION_MS,
      window: env.INBOX_WINDOW,
      retry: {
        initialMs: env.DELIVERY_RETRY_INITIAL_MS,
        maxMs: Math.max(env.DELIVERY_RETRY_MAX_MS, env.DELIVERY_RETRY_INITIAL_MS),
        maxAttempts: env.DELIVERY_MAX_ATTEMPTS,
      },
    },
    presence: { sessionTtlMs: env.PRESENCE_SESSION_TTL_MS, offlineGraceMs: env.PRESENCE_OFFLINE_GRACE_MS },
    auth: { adminUsernames: env.ADMIN_USERNAMES },
    sendLimit: { refillPerSecond: env.SEND_RATE_PER_SECOND, capacity: env.SEND_RATE_BURST },
    readLimit: { refillPerSecond: env.READ_RATE_PER_SECOND, capacity: env.READ_RATE_BURST },
    typingLimit: { refillPerSecond: env.TYPING_RATE_PER_SECOND, capacity: env.TYPING_RATE_BURST },
    lookupLimit: { refillPerSecond: env.LOOKUP_RATE_PER_SECOND, capacity: env.LOOKUP_RATE_BURST },
    groupMembersMax: env.GROUP_MEMBERS_MAX,
    push: {
      notifierPort: env.NOTIFIER_PORT,
      batchWaitMs: env.NOTIFIER_BATCH_WAIT_MS,
      maxSubscriptionsPerUser: env.PUSH_MAX_SUBSCRIPTIONS_PER_USER,
      rules: { graceMs: env.PUSH_GRACE_MS, collapseWindowMs: env.PUSH_COLLAPSE_WINDOW_MS },
      ttlSeconds: env.PUSH_TTL_SECONDS,
      retry: {
        maxAttempts: env.PUSH_MAX_ATTEMPTS,
        initialMs: env.PUSH_RETRY_INITIAL_MS,
        maxMs: Math.max(env.PUSH_RETRY_MAX_MS, env.PUSH_RETRY_INITIAL_MS),
      },
      sendTimeoutMs: env.PUSH_SEND_TIMEOUT_MS,
      allowLoopbackHttp: env.PUSH_ALLOW_LOOPBACK_HTTP,
      /** Keys from the environment (both or neither), else the installation's in PostgreSQL. */
      vapid: {
        subject: env.VAPID_SUBJECT,
        ...(env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY
          ? { publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY }
          : {}),
      },
    },
    editWindowMs: env.EDIT_WINDOW_MS,
    accounts: {
      adminUserIds: env.ADMIN_USER_IDS,
      signInLimits: {
        loginPerUsername: bucket(env.LOGIN_USERNAME_RATE_PER_MINUTE, env.LOGIN_USERNAME_BURST),
        loginPerAddress: bucket(env.LOGIN_IP_RATE_PER_MINUTE, env.LOGIN_IP_BURST),
        registerPerAddress: bucket(env.REGISTER_IP_RATE_PER_MINUTE, env.REGISTER_IP_BURST),
      },
      passwordHashing: { concurrency: env.PASSWORD_HASH_CONCURRENCY, queueLength: env.PASSWORD_HASH_QUEUE },
      trustProxy: env.HTTP_TRUST_PROXY,
    },
    signIn: {
      /** Where browsers reach the gateway: the callback URLs providers redirect to, and the web app's landing. */
      publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${env.GATEWAY_PORT}`).replace(/\/+$/, ''),
      /** Whether a provider's verified email may link a new identity to the account holding it already. */
      mergeVerifiedEmail: env.PROVIDER_MERGE_VERIFIED_EMAIL,
      /** Provider sign-in starts and callbacks per client address. */
      perAddress: bucket(env.PROVIDER_SIGN_IN_IP_RATE_PER_MINUTE, env.PROVIDER_SIGN_IN_IP_BURST),
    },
  };
}

const configSchema = z
  .object(envShape)
  .superRefine(checkKafkaSecurity)
  .superRefine(checkVapidPair)
  .transform(toConfig);

const tokenConfigSchema = z
  .object({ ...envShape, JWT_SECRET: jwtSecret })
  .superRefine(checkKafkaSecurity)
  .superRefine(checkVapidPair)
  .transform((env) => {
    const config = toConfig(env);
    return {
      ...config,
      auth: { ...config.auth, jwtSecret: env.JWT_SECRET },
      // Client secrets: only the services that sign tokens get them (filled in by loadConfig).
      signIn: { ...config.signIn, providers: [] as readonly ProviderSettings[] },
    };
  });

/**
 * What every service, the CLI and the tools read. Holds no secret, but for VAPID_PRIVATE_KEY when
 * an operator sets it (the notifier signs with it; it never appears in an error message).
 */
export type Config = z.output<typeof configSchema>;

/** The configuration of a service that signs or checks bearer tokens (gateway, analytics). */
export type TokenServiceConfig = z.output<typeof tokenConfigSchema>;

type EnvVariables = Readonly<Record<string, string | undefined>>;

/**
 * Builds the one configuration object from environment variables. A wrong or missing value
 * throws a ConfigError naming every offending variable, so a boot fails once, clearly. With
 * `{ jwtSecret: 'required' }` (services that sign or check tokens) JWT_SECRET must be set too.
 */
export function loadConfig(env?: EnvVariables): Config;
export function loadConfig(env: EnvVariables, needs: { readonly jwtSecret: 'required' }): TokenServiceConfig;
export function loadConfig(
  env: EnvVariables = process.env,
  needs?: { readonly jwtSecret: 'required' },
): Config | TokenServiceConfig {
  // Empty strings mean "not set", as they do for most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = (needs ? tokenConfigSchema : configSchema).safeParse(present);
  // The sign-in providers (and their client secrets) matter to the services that sign tokens.
  const signIn = needs ? parseSignInProviders(present) : { providers: [], problems: [] };
  if (result.success && signIn.problems.length === 0) {
    if (!needs) return result.data;
    const config = result.data as TokenServiceConfig;
    return { ...config, signIn: { ...config.signIn, providers: signIn.providers } };
  }
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const given = present[name];
        const secret = SECRET_VARIABLES.has(name) || isSecretVariable(name);
        const shown = secret ? `${given?.length} characters` : `"${given}"`;
        return `${name}: ${issue.message}${given === undefined ? '' : ` (got ${shown})`}`;
      });
  throw new ConfigError([...problems, ...signIn.problems]);
}
