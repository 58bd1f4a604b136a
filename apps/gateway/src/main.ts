// Wiring only: configuration in, the HTTP API (and later STOMP over WebSocket) out.
import type { Server } from 'node:http';
import { Pool } from 'pg';
import { AccountService } from '@parley/accounts';
import { TokenService } from '@parley/auth';
import { loadConfig } from '@parley/config';
import { EventSerde } from '@parley/events';
import { createHttpApp } from '@parley/http-api';
import { BatchingProducer, createKafka } from '@parley/kafka';
import { createLogger } from '@parley/logging';
import { isActiveMember } from '@parley/read-models';
import { runService, type StopService } from '@parley/runtime';
import { attachStompEndpoint } from '@parley/stomp-gateway';

async function start(): Promise<StopService> {
  const config = loadConfig();
  const logger = createLogger('gateway', config.logLevel);
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-gateway`,
    logger,
  });
  const pool = new Pool({ connectionString: config.postgres.url, max: 20 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  const producer = new BatchingProducer(kafka);
  await producer.connect();
  const serde = new EventSerde(config.schemaRegistry.url);
  await serde.registerAll();
  const accounts = new AccountService({
    pool,
    producer,
    serde,
    tokens: new TokenService(config.auth.jwtSecret),
    topicPrefix: config.kafka.topicPrefix,
  });
  const app = createHttpApp({
    accounts,
    logger,
    ready: async () => {
      await pool.query('SELECT 1');
    },
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(config.gateway.port, '127.0.0.1', () => resolve(s));
  });
  const stomp = attachStompEndpoint(server, {
    authenticate: (token) => accounts.authenticate(token),
    isMember: (conversationId, userId) => isActiveMember(pool, conversationId, userId),
    maxFrameBytes: config.gateway.maxFrameBytes,
    heartBeat: { sendMs: config.gateway.heartBeatMs, receiveMs: config.gateway.heartBeatMs },
    logger,
  });
  logger.info({ port: config.gateway.port }, 'gateway listening (HTTP /v1, STOMP /ws)');

  return async () => {
    logger.info('stopping');
    for (const client of stomp.clients) client.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await producer.disconnect();
    await pool.end();
  };
}

runService('gateway', start);
