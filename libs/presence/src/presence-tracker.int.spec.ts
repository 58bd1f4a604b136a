import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { EventSerde } from '@parley/events';
import { BatchingProducer } from '@parley/kafka';
import { EventPublisher } from '@parley/publishing';
import { createTestWorld, type TestWorld } from '@parley/testing';
import { PresenceTracker } from './presence-tracker';

const TTL = 30_000;

/**
 * A Redis client that runs `action` before its `at`-th command (0-based): a reconnect that arrives at
 * exactly that point of a sweep.
 */
function reconnectingAt(redis: Redis, at: number, action: () => Promise<void>): Redis {
  let calls = 0;
  return new Proxy(redis, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (calls++ === at) await action();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('PresenceTracker sweep', () => {
  let world: TestWorld;
  let redis: Redis;
  let producer: BatchingProducer;
  let publisher: EventPublisher;

  beforeAll(async () => {
    world = await createTestWorld('presence');
    redis = new Redis(world.env.redisUrl);
    const serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    publisher = new EventPublisher(producer, serde, world.prefix);
  });

  afterAll(async () => {
    redis.disconnect();
    await producer.disconnect();
    await world.dispose();
  });

  it('never leaves a user offline who reconnected while the sweep looked at them', async () => {
    // Every point of the sweep gets its turn: before its first command, its second, and so on.
    for (let at = 0; at < 8; at += 1) {
      let clock = 1_000_000;
      const options = { sessionTtlMs: TTL, offlineGraceMs: 5_000 };
      const prefix = `${world.prefix}${at}:`;
      const tracker = new PresenceTracker(redis, prefix, publisher, options, undefined, () => clock);
      const userId = randomUUID();
      await tracker.sessionAlive(userId, 'old-session');
      clock += TTL + 1; // its gateway died: the session expired and the user is due
      const reconnect = () => tracker.sessionAlive(userId, 'new-session');
      const sweeper = new PresenceTracker(
        reconnectingAt(redis, at, reconnect),
        prefix,
        publisher,
        options,
        undefined,
        () => clock,
      );
      await sweeper.sweep();
      if (!(await redis.zscore(`${prefix}presence:sessions:${userId}`, 'new-session'))) await reconnect();
      expect({ at, online: await tracker.isOnline(userId) }).toEqual({ at, online: true });
      // And the user is looked at again when the new session would expire.
      expect(Number(await redis.zscore(`${prefix}presence:due`, userId))).toBe(clock + TTL);
    }
  });

  describe('given a user with one session that refreshed (its expiry is a TTL away)', () => {
    const options = { sessionTtlMs: TTL, offlineGraceMs: 5_000 };
    let clock: number;
    let tracker: PresenceTracker;
    let userId: string;

    beforeEach(async () => {
      clock = 2_000_000;
      tracker = new PresenceTracker(
        redis,
        `${world.prefix}grace:`,
        publisher,
        options,
        undefined,
        () => clock,
      );
      userId = randomUUID();
      await tracker.sessionAlive(userId, 's1');
      clock += 1_000;
      await tracker.sessionClosed(userId, 's1');
    });

    it('when the session closes cleanly, then the user goes offline once the grace period is over, not the TTL', async () => {
      clock += options.offlineGraceMs - 1;
      expect(await tracker.sweep()).toEqual([]);
      expect(await tracker.isOnline(userId)).toBe(true);
      clock += 2;
      expect(await tracker.sweep()).toEqual([userId]);
      expect(await tracker.isOnline(userId)).toBe(false);
      expect(await tracker.sweep()).toEqual([]); // each flip is seen once
    });

    it('when another session opens within the grace period, then the user stays online', async () => {
      clock += 1_000;
      await tracker.sessionAlive(userId, 's2');
      clock += options.offlineGraceMs;
      expect(await tracker.sweep()).toEqual([]);
      expect(await tracker.isOnline(userId)).toBe(true);
    });

    it('when one of two sessions closes, then the user stays online while the other lives', async () => {
      await tracker.sessionAlive(userId, 's2');
      await tracker.sessionAlive(userId, 's3');
      await tracker.sessionClosed(userId, 's2');
      clock += options.offlineGraceMs + 1;
      expect(await tracker.sweep()).toEqual([]);
      expect(await tracker.isOnline(userId)).toBe(true);
    });
  });
});
