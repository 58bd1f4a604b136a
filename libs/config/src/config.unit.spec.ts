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

  it('requires a real JWT secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).auth.jwtSecret).toBe(
      'x'.repeat(32),
    );
  });
});
