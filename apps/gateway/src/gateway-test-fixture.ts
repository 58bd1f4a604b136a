// Test support for the gateway's integration tests: a world of its own with the projections the
// gateway reads, the HTTP API and the STOMP endpoint on a free port. Not used by main.ts.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { AccountService } from '@parley/accounts';
import { TokenService } from '@parley/auth';
import { EventSerde } from '@parley/events';
import { createHttpApp } from '@parley/http-api';
import { BatchingProducer } from '@parley/kafka';
import { ProjectionRunner, type Projection } from '@parley/projections';
import { ALL_PROJECTIONS, isActiveMember } from '@parley/read-models';
import { attachStompEndpoint } from '@parley/stomp-gateway';
import { createTestWorld, type TestWorld } from '@parley/testing';

export const TEST_JWT_SECRET = 'integration-test-secret-of-enough-length!';

export interface GatewayFixture {
  readonly world: TestWorld;
  readonly pool: Pool;
  readonly producer: BatchingProducer;
  readonly serde: EventSerde;
  readonly port: number;
  readonly baseUrl: string;
  dispose(): Promise<void>;
}

export async function startGatewayFixture(
  label: string,
  options: { projections?: readonly Projection[]; maxFrameBytes?: number; heartBeatMs?: number } = {},
): Promise<GatewayFixture> {
  const world = await createTestWorld(label, { database: true });
  const pool = new Pool({ connectionString: world.databaseUrl });
  const producer = new BatchingProducer(world.kafka);
  await producer.connect();
  const serde = new EventSerde(world.env.schemaRegistryUrl);
  await serde.registerAll();
  const runners = (options.projections ?? ALL_PROJECTIONS).map(
    (projection) =>
      new ProjectionRunner({
        kafka: world.kafka,
        pool,
        serde,
        deadLetters: producer,
        projection,
        topicPrefix: world.prefix,
      }),
  );
  await Promise.all(runners.map((runner) => runner.start()));
  const accounts = new AccountService({
    pool,
    producer,
    serde,
    tokens: new TokenService(TEST_JWT_SECRET),
    topicPrefix: world.prefix,
  });
  const server: Server = createHttpApp({ accounts }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  attachStompEndpoint(server, {
    authenticate: (token) => accounts.authenticate(token),
    isMember: (conversationId, userId) => isActiveMember(pool, conversationId, userId),
    maxFrameBytes: options.maxFrameBytes ?? 64 * 1024,
    heartBeat: { sendMs: options.heartBeatMs ?? 10_000, receiveMs: options.heartBeatMs ?? 10_000 },
  });
  const port = (server.address() as AddressInfo).port;
  return {
    world,
    pool,
    producer,
    serde,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    dispose: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all(runners.map((runner) => runner.stop()));
      await producer.disconnect();
      await pool.end();
      await world.dispose();
    },
  };
}
