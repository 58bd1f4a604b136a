// A notice the gateway never gets leaves an online device without its item until the next one: the
// delivery worker publishes a refused notice again, and announces the inboxes with items in flight
// when it starts (a crash between a commit and its notice).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ChannelHub, channels } from '@parley/live';
import { randomName, stackEnv, testPool, waitFor } from '@parley/testing';
import { InboxNotifications, InboxNotifier } from './inbox-notifications';
import { InboxStore } from './inbox-store';
import type { AppendedItem } from './inbox-projection';

/** Inboxes these specs wrote, removed at the end so that no later announcement finds them. */
const createdUsers: string[] = [];

describe('InboxNotifier (real Redis and PostgreSQL)', () => {
  const env = stackEnv();
  const prefix = `${randomName('notifier')}:`;
  const admin = new Redis(env.redisUrl);
  const subscriber = new Redis(env.redisUrl);
  const pool = testPool({ connectionString: env.databaseUrl, max: 1 });
  /** Notices heard, by user. */
  const heard = new Map<string, { position: number; items?: unknown[] }[]>();

  const listen = async (...userIds: string[]) => {
    await subscriber.subscribe(...userIds.map((userId) => channels.inbox(prefix, userId)));
  };

  beforeAll(() => {
    subscriber.on('message', (channel: string, message: string) => {
      const userId = channel.slice(channels.inbox(prefix, '').length);
      heard.set(userId, [...(heard.get(userId) ?? []), JSON.parse(message)]);
    });
  });

  afterAll(async () => {
    admin.disconnect();
    subscriber.disconnect();
    await pool.query('DELETE FROM inbox_items WHERE user_id = ANY($1)', [createdUsers]);
    await pool.query('DELETE FROM inbox_heads WHERE user_id = ANY($1)', [createdUsers]);
    await pool.end();
  });

  const appended = (userId: string, position: number): AppendedItem => ({
    user_id: userId,
    position: String(position),
    kind: 'deleted',
    message_id: randomUUID(),
    conversation_id: 'c',
    sender_id: null,
    body: { kind: 'deleted', messageId: randomUUID(), conversationId: 'c' },
  });

  it('given Redis refusing a notice, when it is reachable again, then the notice is published again (position only) until it goes through', async () => {
    // Given a publisher that fails at once while its connection is away (no offline queue), away
    // for a moment
    const userId = randomName('user');
    await listen(userId);
    const publisher = new Redis(env.redisUrl, { enableOfflineQueue: false, retryStrategy: () => 300 });
    const notifier = new InboxNotifier(publisher, prefix);
    try {
      if (publisher.status !== 'ready') await new Promise((resolve) => publisher.once('ready', resolve));
      const closed = new Promise((resolve) => publisher.once('close', resolve));
      await admin.client('KILL', 'ID', String(await publisher.client('ID')));
      await closed;

      // When a notice is published while it is away
      notifier.announce([appended(userId, 7)]);

      // Then it arrives once the connection is back, as the position alone
      await waitFor(() => (heard.get(userId)?.length ?? 0) > 0, { what: 'the notice sent again' });
      expect(heard.get(userId)).toEqual([{ position: 7 }]);
    } finally {
      notifier.stop();
      publisher.disconnect();
    }
  });

  it('given inboxes with messages in flight, delivered and told pending, when a worker starts, then only the inboxes in flight are announced, at their last position', async () => {
    // Given three inboxes whose first item is a message (created an hour ahead, so that no
    // expiry job of another spec fails it meanwhile), the others deletions
    const [inFlight, delivered, pending] = [randomName('flight'), randomName('done'), randomName('pending')];
    const marker = randomName('marker');
    await listen(inFlight, delivered, pending, marker);
    createdUsers.push(inFlight, delivered, pending);
    for (const [userId, column] of [
      [inFlight, undefined],
      [delivered, 'delivered_at'],
      [pending, 'pending_at'],
    ] as const) {
      await pool.query('INSERT INTO inbox_heads (user_id, last_position) VALUES ($1, 3)', [userId]);
      for (const position of [1, 2, 3])
        await pool.query(
          `INSERT INTO inbox_items (user_id, position, kind, message_id, conversation_id, body, created_at
                                    ${column ? `, ${column}` : ''})
           VALUES ($1, $2, $3, $4, 'c', '{}', now() + interval '1 hour' ${column ? ', now()' : ''})`,
          // Only the first item is a message: the last position comes from the head, not the items.
          [userId, position, position === 1 ? 'message' : 'deleted', randomUUID()],
        );
    }
    const publisher = new Redis(env.redisUrl);
    const notifier = new InboxNotifier(publisher, prefix);
    try {
      // When (the age limit reaches past the hour ahead)
      await notifier.announceInFlight(pool, -2 * 3_600_000);

      // Then: a marker published after them on the same connection arrives after them
      await publisher.publish(channels.inbox(prefix, marker), JSON.stringify({ position: 0 }));
      await waitFor(() => heard.has(marker), { what: 'a marker after the announcements' });
      expect(heard.get(inFlight)).toEqual([{ position: 3 }]);
      expect(heard.has(delivered)).toBe(false);
      expect(heard.has(pending)).toBe(false);

      // And an age limit they do not reach leaves them out
      await notifier.announceInFlight(pool, 0);
      await publisher.publish(channels.inbox(prefix, marker), JSON.stringify({ position: 0 }));
      await waitFor(() => heard.get(marker)?.length === 2, { what: 'a second marker' });
      expect(heard.get(inFlight)).toHaveLength(1);
    } finally {
      notifier.stop();
      publisher.disconnect();
    }
  });
});

describe("InboxNotifications: catching up after the node's subscriber reconnected (real Redis and PostgreSQL)", () => {
  const env = stackEnv();
  const prefix = `${randomName('catch-up')}:`;
  const admin = new Redis(env.redisUrl);
  const pool = testPool({ connectionString: env.databaseUrl, max: 2 });
  let subscriber: Redis;

  afterAll(async () => {
    admin.disconnect();
    subscriber?.disconnect();
    await pool.query('DELETE FROM inbox_heads WHERE user_id = ANY($1)', [createdUsers]);
    await pool.end();
  });

  it("given watched inboxes, when the subscriber comes back, then each watcher is told its inbox's last position, from one read for all of them", async () => {
    // Given two watched inboxes, one with a head and one never written to
    subscriber = new Redis(env.redisUrl, { retryStrategy: () => 50 });
    const subscriberId = String(await subscriber.client('ID'));
    const [written, empty] = [randomName('written'), randomName('empty')];
    createdUsers.push(written);
    await pool.query('INSERT INTO inbox_heads (user_id, last_position) VALUES ($1, 12)', [written]);
    const store = new InboxStore(pool);
    const reads: string[][] = [];
    const heads = {
      lastPositions: (userIds: readonly string[]) => {
        reads.push([...userIds]);
        return store.lastPositions(userIds);
      },
    };
    const notifications = new InboxNotifications(new ChannelHub(subscriber), prefix, heads);
    const told = new Map<string, (number | undefined)[][]>();
    const watches = [written, empty].map((userId) =>
      notifications.watch(userId, (position, items) =>
        told.set(userId, [...(told.get(userId) ?? []), [position, items?.length]]),
      ),
    );
    await Promise.all(watches.map((watch) => watch.ready));

    // When
    await admin.client('KILL', 'ID', subscriberId);

    // Then
    await waitFor(() => told.has(written), { what: 'the catch-up' });
    expect(told.get(written)).toEqual([[12, undefined]]);
    expect(told.has(empty)).toBe(false);
    expect(reads).toHaveLength(1);
    expect(reads[0]?.sort()).toEqual([written, empty].sort());
    for (const watch of watches) watch.stop();
  });

  it('given a second reconnect while the catch-up read is in flight, then the inboxes are read again after it', async () => {
    // Given a watched inbox, and a catch-up read held until released
    subscriber?.disconnect();
    const connectionName = randomName('hub').replace(/[^a-z0-9-]/gi, '');
    subscriber = new Redis(env.redisUrl, { retryStrategy: () => 50, connectionName });
    /** Ends the subscriber's current connection (its id changes with each reconnect, not its name). */
    const kill = async () => {
      const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      const line = list.split('\n').find((entry) => entry.includes(` name=${connectionName} `));
      const id = line ? /\bid=(\d+)/.exec(line)?.[1] : undefined;
      if (!id) throw new Error('the subscriber is not connected');
      await admin.client('KILL', 'ID', id);
    };
    const user = randomName('twice');
    createdUsers.push(user);
    await pool.query('INSERT INTO inbox_heads (user_id, last_position) VALUES ($1, 4)', [user]);
    const store = new InboxStore(pool);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const heads = {
      lastPositions: async (userIds: readonly string[]) => {
        reads++;
        if (reads === 1) await held;
        return store.lastPositions(userIds);
      },
    };
    const hub = new ChannelHub(subscriber);
    let resumes = 0;
    const counter = hub.watch(
      `${prefix}counter`,
      () => undefined,
      () => resumes++,
    );
    const notifications = new InboxNotifications(hub, prefix, heads);
    const told: number[] = [];
    const watch = notifications.watch(user, (position) => told.push(position));
    await Promise.all([watch.ready, counter.ready]);

    // When the connection is lost twice, the second time while the first catch-up reads
    await kill();
    await waitFor(() => reads === 1, { what: 'the first catch-up read' });
    await waitFor(() => subscriber.status === 'ready', { what: 'the subscriber back' });
    await kill();
    await waitFor(() => resumes === 2, { what: 'the second resume' });
    release();

    // Then
    await waitFor(() => reads === 2, { what: 'a second catch-up read' });
    await waitFor(() => told.length === 2, { what: 'the second catch-up notice' });
    expect(told).toEqual([4, 4]);
    watch.stop();
    counter.stop();
    hub.stop();
    notifications.stop();
  });
});
