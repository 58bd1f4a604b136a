import { ConfigError, loadConfig } from '@parley/config';

describe('loadConfig', () => {
  it('gives local defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.schemaRegistry.url).toBe('http://127.0.0.1:8081');
    expect(config.postgres.url).toBe('postgres://postgres@127.0.0.1:5432/parley');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.kafka.topicProfile).toBe('local');
  });

  it('splits a broker list and coerces ports', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', GATEWAY_PORT: '9000' });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.gateway.port).toBe(9000);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ KAFKA_BROKERS: 'nohost', DATABASE_URL: 'mysql://x', GATEWAY_PORT: '70000' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('KAFKA_BROKERS');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('GATEWAY_PORT');
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  describe('JWT_SECRET, for services that sign or check tokens', () => {
    const needs = { jwtSecret: 'required' } as const;
    const problemsOf = (env: Record<string, string>): readonly string[] => {
      try {
        loadConfig(env, needs);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };

    it('given no JWT_SECRET, when a token service loads its config, then one problem names it and says what to set', () => {
      const problems = problemsOf({});
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^JWT_SECRET: is not set: set it to a random secret of at least 32 characters/,
      );
    });

    it('given an empty JWT_SECRET (`JWT_SECRET= cmd`), then it counts as not set', () => {
      expect(problemsOf({ JWT_SECRET: '' })[0]).toMatch(/^JWT_SECRET: is not set/);
    });

    it('given a secret shorter than 32 characters, then it is refused without echoing the secret', () => {
      const short = 'tooshort-but-not-empty-secret!!'; // 31 characters
      const problems = problemsOf({ JWT_SECRET: short });
      expect(problems).toEqual(['JWT_SECRET: must be at least 32 characters (got 31 characters)']);
      expect(problems.join('\n')).not.toContain(short);
    });

    it('given the secret together with other bad variables, then one error names each of them', () => {
      const problems = problemsOf({ GATEWAY_PORT: '70000' });
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['GATEWAY_PORT', 'JWT_SECRET']);
    });

    it('given a secret of 32 characters, then the config carries it, in any NODE_ENV', () => {
      for (const NODE_ENV of ['development', 'test', 'production'])
        expect(loadConfig({ NODE_ENV, JWT_SECRET: 'x'.repeat(32) }, needs).auth.jwtSecret).toBe(
          'x'.repeat(32),
        );
    });

    it('given no JWT_SECRET, when a service that uses no tokens (or the CLI) loads its config, then it starts and holds no secret', () => {
      const config = loadConfig({});
      expect(config.auth).toEqual({ adminUsernames: [] });
      expect(JSON.stringify(loadConfig({ JWT_SECRET: 'y'.repeat(40) }))).not.toContain('y'.repeat(40));
    });
  });

  it('caps WebSocket connections per address and the outbound buffer per socket, both settable', () => {
    expect(loadConfig({}).gateway.sessionLimits).toMatchObject({
      maxConnectionsPerIp: 1_000,
      maxBufferedBytes: 4 * 1024 * 1024,
    });
    const set = loadConfig({ STOMP_MAX_CONNECTIONS_PER_IP: '50000', STOMP_MAX_BUFFERED_BYTES: '131072' });
    expect(set.gateway.sessionLimits).toMatchObject({
      maxConnectionsPerIp: 50_000,
      maxBufferedBytes: 131_072,
    });
    expect(() => loadConfig({ STOMP_MAX_CONNECTIONS_PER_IP: '0' })).toThrow(/STOMP_MAX_CONNECTIONS_PER_IP/);
    expect(() => loadConfig({ STOMP_MAX_BUFFERED_BYTES: '1000' })).toThrow(/STOMP_MAX_BUFFERED_BYTES/);
  });

  it('gives message edits a window of 24 h by default, settable from 1 s to a year', () => {
    expect(loadConfig({}).editWindowMs).toBe(24 * 3600 * 1000);
    expect(loadConfig({ EDIT_WINDOW_MS: '900000' }).editWindowMs).toBe(900_000);
    for (const bad of ['999', '-1', 'soon', String(367 * 24 * 3600 * 1000)])
      expect(() => loadConfig({ EDIT_WINDOW_MS: bad })).toThrow(/EDIT_WINDOW_MS/);
  });

  it('puts the ops endpoints on a private listener by default', () => {
    const config = loadConfig({});
    expect(config.ops).toEqual({ host: '127.0.0.1', consumerStallMs: 60_000 });
    expect(config.gateway.opsPort).toBe(9080);
    expect(config.analytics.opsPort).toBe(9084);
    const custom = loadConfig({ OPS_HOST: '10.0.0.7', GATEWAY_OPS_PORT: '9999', CONSUMER_STALL_MS: '5000' });
    expect(custom.ops).toEqual({ host: '10.0.0.7', consumerStallMs: 5_000 });
    expect(custom.gateway.opsPort).toBe(9999);
    expect(() => loadConfig({ OPS_HOST: 'http://x/' })).toThrow(/OPS_HOST/);
  });
});

describe('loadConfig: accounts hardening', () => {
  it('gives sign-in limits per minute, the hashing cap and no trusted proxy by default', () => {
    const { accounts } = loadConfig({});
    expect(accounts.adminUserIds).toEqual([]);
    expect(accounts.signInLimits).toEqual({
      loginPerUsername: { capacity: 10, refillPerSecond: 10 / 60 },
      loginPerAddress: { capacity: 30, refillPerSecond: 30 / 60 },
      registerPerAddress: { capacity: 10, refillPerSecond: 10 / 60 },
    });
    expect(accounts.passwordHashing).toEqual({ concurrency: 2, queueLength: 32 });
    expect(accounts.trustProxy).toBe(false);
  });

  it('reads admin ids, limits and the trusted proxies', () => {
    const { accounts } = loadConfig({
      ADMIN_USER_IDS: ' a1, b2 ,',
      LOGIN_USERNAME_RATE_PER_MINUTE: '6',
      LOGIN_USERNAME_BURST: '3',
      PASSWORD_HASH_CONCURRENCY: '4',
      PASSWORD_HASH_QUEUE: '0',
      HTTP_TRUST_PROXY: 'loopback, 10.0.0.0/8',
    });
    expect(accounts.adminUserIds).toEqual(['a1', 'b2']);
    expect(accounts.signInLimits.loginPerUsername).toEqual({ capacity: 3, refillPerSecond: 0.1 });
    expect(accounts.passwordHashing).toEqual({ concurrency: 4, queueLength: 0 });
    expect(accounts.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(loadConfig({ HTTP_TRUST_PROXY: '1' }).accounts.trustProxy).toBe(1);
    expect(loadConfig({ HTTP_TRUST_PROXY: 'off' }).accounts.trustProxy).toBe(false);
  });

  it('refuses a trust-everyone proxy setting and limits that are no limits', () => {
    for (const env of [
      { HTTP_TRUST_PROXY: 'true' },
      { HTTP_TRUST_PROXY: 'my proxy' },
      { LOGIN_IP_BURST: '0' },
      { REGISTER_IP_RATE_PER_MINUTE: '-1' },
      { PASSWORD_HASH_CONCURRENCY: '0' },
    ]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(Object.keys(env)[0]);
    }
  });

  describe('Kafka send deadline, TLS and SASL', () => {
    const problemsOf = (env: Record<string, string>): readonly string[] => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };

    it('given nothing set, then sends wait 2 s and Kafka is reached in plain text without SASL', () => {
      const config = loadConfig({});
      expect(config.kafka.sendTimeoutMs).toBe(2_000);
      expect(config.kafka.security).toEqual({});
    });

    it('given KAFKA_SEND_TIMEOUT_MS, then it is used; below 100 ms it is refused', () => {
      expect(loadConfig({ KAFKA_SEND_TIMEOUT_MS: '5000' }).kafka.sendTimeoutMs).toBe(5_000);
      expect(problemsOf({ KAFKA_SEND_TIMEOUT_MS: '10' })[0]).toMatch(/^KAFKA_SEND_TIMEOUT_MS:/);
    });

    it('given TLS with a CA and a client certificate, then all three files are passed on', () => {
      const config = loadConfig({
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem',
        KAFKA_SSL_CERT_FILE: '/etc/kafka/client.pem',
        KAFKA_SSL_KEY_FILE: '/etc/kafka/client.key',
      });
      expect(config.kafka.security).toEqual({
        ssl: {
          caFile: '/etc/kafka/ca.pem',
          certFile: '/etc/kafka/client.pem',
          keyFile: '/etc/kafka/client.key',
        },
      });
    });

    it('given KAFKA_SSL=true alone, then TLS uses the system CAs', () => {
      expect(loadConfig({ KAFKA_SSL: 'true' }).kafka.security).toEqual({ ssl: {} });
    });

    it('given KAFKA_SSL=yes, then it is refused', () => {
      expect(problemsOf({ KAFKA_SSL: 'yes' })[0]).toMatch(/^KAFKA_SSL: expected true or false/);
    });

    it('given a SASL mechanism with credentials, then each mechanism is passed on', () => {
      for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
        const config = loadConfig({
          KAFKA_SASL_MECHANISM: mechanism,
          KAFKA_SASL_USERNAME: 'parley',
          KAFKA_SASL_PASSWORD: 's3cret',
        });
        expect(config.kafka.security).toEqual({
          sasl: { mechanism, username: 'parley', password: 's3cret' },
        });
      }
    });

    it('given a mechanism without credentials, then start is refused naming both missing variables', () => {
      const problems = problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512' });
      expect(problems).toEqual([
        'KAFKA_SASL_USERNAME: is not set: KAFKA_SASL_MECHANISM=scram-sha-512 needs it',
        'KAFKA_SASL_PASSWORD: is not set: KAFKA_SASL_MECHANISM=scram-sha-512 needs it',
      ]);
    });

    it('given an unknown mechanism, then it is refused and the password is never echoed', () => {
      const problems = problemsOf({
        KAFKA_SASL_MECHANISM: 'gssapi',
        KAFKA_SASL_USERNAME: 'parley',
        KAFKA_SASL_PASSWORD: 'hunter2-secret',
      });
      expect(problems[0]).toMatch(/^KAFKA_SASL_MECHANISM: expected plain, scram-sha-256 or scram-sha-512/);
      expect(problems.join('\n')).not.toContain('hunter2-secret');
    });

    it('given credentials without a mechanism, or certificate files without KAFKA_SSL, then they are refused', () => {
      expect(problemsOf({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toHaveLength(2);
      const problems = problemsOf({ KAFKA_SSL_CA_FILE: '/ca.pem' });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^KAFKA_SSL_CA_FILE: is set but KAFKA_SSL is not true: set KAFKA_SSL=true/);
    });

    it('given a client certificate without its key, then the key is asked for', () => {
      expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/c.pem' })[0]).toMatch(
        /^KAFKA_SSL_KEY_FILE: is not set/,
      );
    });
  });

  describe('Web Push (issue 14)', () => {
    const problemsOf = (env: Record<string, string>): readonly string[] => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    // A real pair (generated once for this spec; it signs nothing).
    const publicKey =
      'BKuMy_ZtvCjaEXQNBtMyERGJ2Ad-yY5ncWpYiHdgyYen5tEuaYQs7ErZPPW1nxQZ24n_WA-5VDAJt89wbAFEWrM';
    const privateKey = '9eawG24frbAcfiFLBjeQOEfSUjqcCU4Bg-MzXd-Njtc';

    it('given nothing, then the defaults: 10 subscriptions per user, 3 s grace, 60 s window, no VAPID keys of the environment', () => {
      const { push } = loadConfig({});
      expect(push).toMatchObject({
        notifierPort: 8085,
        maxSubscriptionsPerUser: 10,
        rules: { graceMs: 3_000, collapseWindowMs: 60_000 },
        ttlSeconds: 86_400,
        retry: { maxAttempts: 5, initialMs: 1_000, maxMs: 60_000 },
        allowLoopbackHttp: false,
        vapid: { subject: 'mailto:push@parley.invalid' },
      });
      expect(push.vapid).not.toHaveProperty('privateKey');
    });

    it('given both VAPID keys, then they are used', () => {
      const { push } = loadConfig({ VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey });
      expect(push.vapid).toMatchObject({ publicKey, privateKey });
    });

    it('given one VAPID key only, then the other is named as missing', () => {
      expect(problemsOf({ VAPID_PUBLIC_KEY: publicKey })).toEqual([
        'VAPID_PRIVATE_KEY: is not set: a VAPID key pair needs both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY',
      ]);
    });

    it('given a private key of the wrong length, then it is refused without echoing it', () => {
      const problems = problemsOf({ VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: 'c2hvcnQ' });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^VAPID_PRIVATE_KEY: expected a P-256 private key: 32 bytes in base64url/);
      expect(problems[0]).not.toContain('c2hvcnQ');
    });

    it('given a subject that is neither mailto: nor https:, then it is refused', () => {
      expect(problemsOf({ VAPID_SUBJECT: 'http://example.com' })[0]).toMatch(
        /^VAPID_SUBJECT: expected a mailto:/,
      );
    });
  });
});
