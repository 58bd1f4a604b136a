// Push notifications end to end (issue 14): a gateway node with the projector and the delivery
// worker, the notifier beside them, and a push service this spec starts (PushServiceReceiver), which
// checks each request's VAPID JWT and decrypts its aes128gcm body with the subscription's private
// key. The notifier's clock is the spec's: the grace and the collapse window pass when the spec
// says, so "exactly one notification" is decided by the rows being done, not by a sleep.
import { randomUUID } from 'node:crypto';
import { directConversationId } from '@parley/domain';
import { PROJECT_MIGRATIONS, dropDatabase, ensureDatabase, migrate } from '@parley/postgres';
import { EventPublisher } from '@parley/publishing';
import {
  NotifierStore,
  WebPushSender,
  generateVapidKeyPair,
  loadVapidKeys,
  vapidPairProblem,
  startNotifier,
  type NotifierEvent,
  type Notifier,
  type NotifierOptions,
  type VapidKeys,
} from '@parley/push';
import {
  PushServiceReceiver,
  databaseUrlFor,
  randomName,
  testPool,
  type BrowserSubscriptionJson,
} from '@parley/testing';
import { gatewayClients, subscribeInbox, type TestUser } from '../../gateway/test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../../gateway/test/gateway-fixture';

const GRACE_MS = 10 * 60_000;
const WINDOW_MS = 30 * 60_000;
const MAX_SUBSCRIPTIONS = 3;

describe('push notifications for offline users (notifier, push routes)', () => {
  let fixture: GatewayFixture;
  let receiver: PushServiceReceiver;
  let keys: VapidKeys;
  let notifier: Notifier;
  const events: NotifierEvent[] = [];
  /** The notifier's clock runs this far ahead of the real one. */
  let ahead = 0;
  const { call, register, connect, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);

  const notifierOptions = (): NotifierOptions => ({
    kafka: fixture.world.kafka,
    pool: fixture.pool,
    redis: fixture.redis,
    serde: fixture.serde,
    deadLetters: fixture.producer,
    topicPrefix: fixture.world.prefix,
    redisKeyPrefix: fixture.world.prefix,
    transport: new WebPushSender({ keys, timeoutMs: 5_000, allowLoopbackHttp: true }),
    rules: { graceMs: GRACE_MS, collapseWindowMs: WINDOW_MS },
    retry: { maxAttempts: 4, initialMs: 200, maxMs: 5_000 },
    ttlSeconds: 600,
    now: () => Date.now() + ahead,
    tickMs: 100,
    report: (event) => events.push(event),
  });

  const startOne = async () => {
    const started = await startNotifier(notifierOptions());
    await waitFor(
      () =>
        started.consumers.every((c) => c.progress().state === 'running' && c.progress().assigned.length > 0),
      { what: 'the notifier to join its group' },
    );
    return started;
  };

  /** Lets the notifier's time pass. */
  const advance = (ms: number) => (ahead += ms);

  const subscribe = async (user: TestUser): Promise<BrowserSubscriptionJson> => {
    const subscription = receiver.subscribe();
    const answer = await call('POST', '/v1/push/subscriptions', user.token, subscription);
    expect(answer.status).toBe(201);
    return subscription;
  };

  const send = async (from: TestUser, to: TestUser, text: string): Promise<string> => {
    const answer = await call('POST', '/v1/messages', from.token, {
      messageId: randomUUID(),
      recipientId: to.userId,
      text,
    });
    expect(answer.status).toBe(202);
    return answer.body.messageId as string;
  };

  const pending = async (userId: string) =>
    (
      await fixture.pool.query<{ message_id: string; done: boolean; outcome: string | null }>(
        'SELECT message_id, done_at IS NOT NULL AS done, outcome FROM push_pending WHERE user_id = $1 ORDER BY received_at',
        [userId],
      )
    ).rows;

  /** The notifier has recorded `count` pending messages of the user (its consumer read the events). */
  const recorded = (user: TestUser, count: number) =>
    waitFor(async () => (await pending(user.userId)).length >= count, {
      what: `${count} pending messages recorded for ${user.username}`,
    });

  /** All of the user's `count` pending messages are done (told or dropped): nothing more will come. */
  const allDone = async (user: TestUser, count: number) => {
    await waitFor(
      async () => {
        const rows = await pending(user.userId);
        return rows.length === count && rows.every((r) => r.done);
      },
      { what: `${count} pending messages of ${user.username} done` },
    );
    return pending(user.userId);
  };

  beforeAll(async () => {
    fixture = await startGatewayFixture('push', {
      presence: { sessionTtlMs: 3_000, offlineGraceMs: 500 },
      push: { maxSubscriptionsPerUser: MAX_SUBSCRIPTIONS },
    });
    receiver = await new PushServiceReceiver().start();
    const probe = await register('probe');
    const served = await call('GET', '/v1/push/vapid-public-key', probe.token);
    expect(served.status).toBe(200);
    // The gateway made the installation's keys; the notifier finds the same ones.
    const loaded = await loadVapidKeys(fixture.pool, { subject: 'mailto:tests@parley.invalid' });
    expect(loaded).toMatchObject({ source: 'kept', keys: { publicKey: served.body.publicKey } });
    keys = loaded.keys;
    receiver.expectKey(keys.publicKey);
    notifier = await startOne();
  });

  afterEach(async () => {
    await closeAll();
    expect(receiver.problems).toEqual([]);
  });

  afterAll(async () => {
    await notifier?.stop();
    await receiver?.close();
    await fixture?.dispose();
  });

  it('given an offline recipient and bursts in two conversations, then exactly one notification per conversation, decrypted, signed, with the Topic of each', async () => {
    const [ada, carol, bob] = [await register('ada'), await register('carol'), await register('bob')];
    const phone = await subscribe(bob);
    for (const text of ['one', 'two', 'three', 'four']) await send(ada, bob, text);
    for (const text of ['hi', 'are you there?']) await send(carol, bob, text);
    await recorded(bob, 6);
    // Within the grace nothing goes out: the burst is still gathering (given the notifier's loop
    // time to run, so that "nothing yet" means something).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.receivedBy(phone)).toEqual([]);

    advance(GRACE_MS);
    const rows = await allDone(bob, 6);
    expect(rows.map((r) => r.outcome)).toEqual(Array(6).fill('notified'));
    const received = receiver.receivedBy(phone);
    expect(received).toHaveLength(2);
    const byConversation = Object.fromEntries(received.map((r) => [r.payload.conversationId as string, r]));
    const withAda = byConversation[directConversationId(ada.userId, bob.userId)];
    const withCarol = byConversation[directConversationId(carol.userId, bob.userId)];
    expect(withAda?.payload).toMatchObject({ v: 1, count: 4, title: ada.username, body: 'four (+3 more)' });
    expect(withCarol?.payload).toMatchObject({
      count: 2,
      title: carol.username,
      body: 'are you there? (+1 more)',
    });
    expect(withAda?.headers.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(withAda?.headers.topic).not.toBe(withCarol?.headers.topic);
    expect(withAda?.headers.ttl).toBe('600');
    expect(withAda?.claims.aud).toBe(new URL(phone.endpoint).origin);
    expect(events.filter((e) => e.name === 'push.sent').length).toBeGreaterThanOrEqual(2);
  });

  it('given a message after a notification, then it waits for the end of the collapse window and comes as one more', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const phone = await subscribe(bob);
    await send(ada, bob, 'first');
    await recorded(bob, 1);
    advance(GRACE_MS);
    await allDone(bob, 1);
    expect(receiver.receivedBy(phone)).toHaveLength(1);

    await send(ada, bob, 'second');
    await send(ada, bob, 'third');
    await recorded(bob, 3);
    advance(GRACE_MS);
    // Due at the end of the window after the first notification, not after the grace.
    const { rows } = await fixture.pool.query<{ due: string; last: string }>(
      `SELECT extract(epoch FROM due_at) * 1000 AS due, extract(epoch FROM last_notified_at) * 1000 AS last
         FROM push_threads WHERE user_id = $1`,
      [bob.userId],
    );
    expect(Math.round(Number(rows[0]?.due) - Number(rows[0]?.last))).toBe(WINDOW_MS);
    expect((await pending(bob.userId)).filter((r) => !r.done)).toHaveLength(2);

    advance(WINDOW_MS);
    await allDone(bob, 3);
    expect(receiver.receivedBy(phone).map((r) => [r.payload.count, r.payload.body])).toEqual([
      [1, 'first'],
      [2, 'third (+1 more)'],
    ]);
  });

  it('given previews turned off, then the notification says who and how many, never the text', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const phone = await subscribe(bob);
    expect((await call('GET', '/v1/push/settings', bob.token)).body).toEqual({ previews: true });
    expect((await call('PUT', '/v1/push/settings', bob.token, { previews: false })).body).toEqual({
      previews: false,
    });
    expect((await call('GET', '/v1/push/settings', bob.token)).body).toEqual({ previews: false });
    await send(ada, bob, 'the secret plan');
    await send(ada, bob, 'more of it');
    await recorded(bob, 2);
    advance(GRACE_MS);
    await allDone(bob, 2);
    const [push] = receiver.receivedBy(phone);
    expect(push?.payload).toMatchObject({ title: ada.username, body: '2 new messages', count: 2 });
    expect(JSON.stringify(push?.payload)).not.toMatch(/secret|more of it/);
  });

  it('given an online recipient, then no notification: the worker records nothing pending, and a pending one met online is dropped', async () => {
    const [ada, dan] = [await register('ada'), await register('dan')];
    const phone = await subscribe(dan);
    const laptop = await connect(dan, { 'device-id': 'dan-laptop' });
    const inbox = subscribeInbox(laptop);
    const sent = [];
    for (const text of ['one', 'two', 'three']) sent.push(await send(ada, dan, text));
    await waitFor(() => inbox.length >= 3, { what: 'the online device to get the messages' });
    for (const item of inbox) item.message.ack();
    await waitFor(async () => {
      const { rows } = await fixture.pool.query(
        'SELECT 1 FROM inbox_items WHERE user_id = $1 AND delivered_at IS NOT NULL',
        [dan.userId],
      );
      return rows.length === 3;
    });
    // A DeliveryPending for Dan, as the worker records one when a user goes offline with an item
    // undelivered, on the same partition after the messages: once the notifier has it, it has read
    // past the messages, and it is the only pending row (the worker recorded none for them).
    const publisher = new EventPublisher(fixture.producer, fixture.serde, fixture.world.prefix);
    await publisher.publish([
      {
        type: 'DeliveryPending',
        eventId: randomUUID(),
        occurredAt: Date.now(),
        messageId: sent[2]!,
        conversationId: directConversationId(ada.userId, dan.userId),
        senderId: ada.userId,
        recipientId: dan.userId,
      },
    ]);
    await recorded(dan, 1);
    expect((await pending(dan.userId)).map((r) => r.message_id)).toEqual([sent[2]]);
    advance(GRACE_MS);
    // Dan is still online when it is due.
    expect((await allDone(dan, 1)).map((r) => r.outcome)).toEqual(['online']);
    expect(receiver.receivedBy(phone)).toEqual([]);
  });

  it('given messages read or delivered before the grace ended, then no notification for them', async () => {
    const [ada, frank, gina] = [await register('ada'), await register('frank'), await register('gina')];
    const frankPhone = await subscribe(frank);
    await send(ada, frank, 'one');
    const last = await send(ada, frank, 'two');
    await recorded(frank, 2);
    expect((await call('PATCH', `/v1/messages/${last}/status`, frank.token, { status: 'read' })).status).toBe(
      204,
    );
    await waitFor(async () => {
      const { rows } = await fixture.pool.query(
        `SELECT 1 FROM conversation_reads r JOIN messages m ON m.conversation_id = r.conversation_id
          WHERE r.user_id = $1 AND m.message_id = $2 AND r.read_up_to_seq >= m.seq`,
        [frank.userId, last],
      );
      return rows.length === 1;
    });

    // Gina's device comes, takes the message (ACK) and goes before the grace ends.
    const ginaPhone = await subscribe(gina);
    await send(ada, gina, 'hello gina');
    await recorded(gina, 1);
    const device = await connect(gina, { 'device-id': 'gina-tablet' });
    const inbox = subscribeInbox(device);
    await waitFor(() => inbox.length >= 1);
    inbox[0]!.message.ack();
    await waitFor(async () => {
      const { rows } = await fixture.pool.query(
        `SELECT 1 FROM inbox_items WHERE user_id = $1 AND delivered_at IS NOT NULL`,
        [gina.userId],
      );
      return rows.length === 1;
    });
    await device.client.deactivate();
    await waitFor(
      async () =>
        (await call('GET', `/v1/users/${gina.userId}/presence`, ada.token)).body.status === 'offline',
      {
        what: 'gina offline again',
      },
    );

    advance(GRACE_MS);
    expect((await allDone(frank, 2)).map((r) => r.outcome)).toEqual(['read', 'read']);
    expect((await allDone(gina, 1)).map((r) => r.outcome)).toEqual(['delivered']);
    expect([...receiver.receivedBy(frankPhone), ...receiver.receivedBy(ginaPhone)]).toEqual([]);
  });

  it('given recipients blocked or deleted after their messages were pending, then they are told nothing and the messages are done, not retried', async () => {
    const [ada, olga, pete, quinn] = [
      await register('ada'),
      await register('olga'),
      await register('pete'),
      await register('quinn'),
    ];
    const [olgaPhone, petePhone, quinnPhone] = [
      await subscribe(olga),
      await subscribe(pete),
      await subscribe(quinn),
    ];
    for (const to of [olga, pete, quinn]) await send(ada, to, 'hello');
    await Promise.all([recorded(olga, 1), recorded(pete, 1), recorded(quinn, 1)]);
    // An administrator's change, as the gateway's admin route records it.
    const publisher = new EventPublisher(fixture.producer, fixture.serde, fixture.world.prefix);
    const changes = [
      [olga, 'BLOCKED'],
      [pete, 'DELETED'],
    ] as const;
    await publisher.publish(
      changes.map(([user, status]) => ({
        type: 'UserStatusChanged' as const,
        eventId: randomUUID(),
        occurredAt: Date.now(),
        userId: user.userId,
        status,
        changedBy: 'an-admin',
        reason: null,
      })),
    );
    await waitFor(
      async () => {
        const { rows } = await fixture.pool.query<{ status: string }>(
          'SELECT status FROM users WHERE user_id = ANY($1::text[]) ORDER BY status',
          [[olga.userId, pete.userId]],
        );
        return rows.map((r) => r.status).join() === 'BLOCKED,DELETED';
      },
      { what: 'the users read model to show the block and the deletion' },
    );

    advance(GRACE_MS);
    expect((await allDone(olga, 1)).map((r) => r.outcome)).toEqual(['account-inactive']);
    expect((await allDone(pete, 1)).map((r) => r.outcome)).toEqual(['account-inactive']);
    // Quinn, active, is told: the notifier was at work meanwhile.
    expect((await allDone(quinn, 1)).map((r) => r.outcome)).toEqual(['notified']);
    expect(receiver.receivedBy(quinnPhone)).toHaveLength(1);
    expect([...receiver.requestsTo(olgaPhone), ...receiver.requestsTo(petePhone)]).toEqual([]);
    // Done: their threads are not due again.
    const { rows: threads } = await fixture.pool.query<{ due: boolean }>(
      'SELECT due_at IS NOT NULL AS due FROM push_threads WHERE user_id = ANY($1::text[])',
      [[olga.userId, pete.userId]],
    );
    expect(threads).toEqual([{ due: false }, { due: false }]);
    expect(events).toContainEqual({ name: 'push.skipped', reason: 'account-inactive', messages: 1 });
  });

  it('given a push service answering 410 for one subscription, then that subscription is deleted and the other still notified', async () => {
    const [ada, henry] = [await register('ada'), await register('henry')];
    const gone = await subscribe(henry);
    const kept = await subscribe(henry);
    receiver.answerWith(gone, [{ status: 410 }]);
    await send(ada, henry, 'hello');
    await recorded(henry, 1);
    advance(GRACE_MS);
    expect((await allDone(henry, 1)).map((r) => r.outcome)).toEqual(['notified']);
    const listed = await call('GET', '/v1/push/subscriptions', henry.token);
    expect(listed.body.subscriptions.map((s: { endpoint: string }) => s.endpoint)).toEqual([kept.endpoint]);
    expect(receiver.requestsTo(gone).map((r) => r.status)).toEqual([410]);
    expect(receiver.receivedBy(kept)).toHaveLength(1);
    expect(events).toContainEqual({ name: 'push.dropped', status: 410 });
  });

  it('given 429 with Retry-After then 201, then the notification is sent again after the wait; 500s are given up after the attempts', async () => {
    const [ada, ivan, judy] = [await register('ada'), await register('ivan'), await register('judy')];
    const busy = await subscribe(ivan);
    receiver.answerWith(busy, [{ status: 429, retryAfter: '1' }]);
    const broken = await subscribe(judy);
    receiver.answerWith(broken, [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]);
    await send(ada, ivan, 'hello ivan');
    await send(ada, judy, 'hello judy');
    await Promise.all([recorded(ivan, 1), recorded(judy, 1)]);
    advance(GRACE_MS);
    expect((await allDone(ivan, 1)).map((r) => r.outcome)).toEqual(['notified']);
    const [first, second] = receiver.requestsTo(busy);
    expect([first?.status, second?.status]).toEqual([429, 201]);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(receiver.receivedBy(busy)).toHaveLength(1);

    expect((await allDone(judy, 1)).map((r) => r.outcome)).toEqual(['failed']);
    expect(receiver.requestsTo(broken).map((r) => r.status)).toEqual([500, 500, 500, 500]);
    expect(events).toContainEqual(expect.objectContaining({ name: 'push.failed', cause: 'exhausted' }));
    // The subscription stays: a push service in trouble is not a withdrawn subscription.
    expect((await call('GET', '/v1/push/subscriptions', judy.token)).body.subscriptions).toHaveLength(1);
  });

  it('given the routes, then bad bodies, another user’s subscription, one over the cap and no token are refused, and nothing changes', async () => {
    const [kim, lee] = [await register('kim'), await register('lee')];
    const one = receiver.subscribe();
    const refusals: [unknown, number, string][] = [
      [{ ...one, endpoint: 'http://push.example.com/x' }, 400, 'INVALID_PUSH_ENDPOINT'],
      [{ ...one, endpoint: 'https://169.254.169.254/latest/meta-data' }, 400, 'INVALID_PUSH_ENDPOINT'],
      [{ ...one, keys: { ...one.keys, p256dh: 'AAAA' } }, 400, 'INVALID_PUSH_KEYS'],
      [{ ...one, keys: { p256dh: one.keys.p256dh } }, 400, 'INVALID_PUSH_KEYS'],
      [{ ...one, expirationTime: 'soon' }, 400, 'INVALID_PUSH_SUBSCRIPTION'],
      [[one], 400, 'INVALID_BODY'],
      ['{"endpoint": ', 400, 'MALFORMED_JSON'],
    ];
    for (const [body, status, code] of refusals) {
      const answer = await call('POST', '/v1/push/subscriptions', kim.token, body);
      expect([answer.status, answer.body?.error?.code]).toEqual([status, code]);
    }
    expect((await call('PUT', '/v1/push/settings', kim.token, { previews: 'no' })).body.error.code).toBe(
      'INVALID_PUSH_SETTINGS',
    );
    expect((await call('GET', '/v1/push/subscriptions', kim.token)).body).toEqual({
      subscriptions: [],
      maxSubscriptions: MAX_SUBSCRIPTIONS,
    });

    // The same endpoint again is the same subscription (200), not one more.
    const created = await call('POST', '/v1/push/subscriptions', kim.token, one);
    expect(created.status).toBe(201);
    const again = await call('POST', '/v1/push/subscriptions', kim.token, one);
    expect([again.status, again.body.subscriptionId]).toEqual([200, created.body.subscriptionId]);
    for (let i = 1; i < MAX_SUBSCRIPTIONS; i++)
      expect((await call('POST', '/v1/push/subscriptions', kim.token, receiver.subscribe())).status).toBe(
        201,
      );
    const over = await call('POST', '/v1/push/subscriptions', kim.token, receiver.subscribe());
    expect([over.status, over.body.error.code]).toEqual([409, 'TOO_MANY_PUSH_SUBSCRIPTIONS']);
    expect((await call('GET', '/v1/push/subscriptions', kim.token)).body.subscriptions).toHaveLength(
      MAX_SUBSCRIPTIONS,
    );

    // Another user can neither see nor delete Kim's subscriptions.
    expect((await call('GET', '/v1/push/subscriptions', lee.token)).body.subscriptions).toEqual([]);
    const theirs = await call('DELETE', `/v1/push/subscriptions/${created.body.subscriptionId}`, lee.token);
    expect([theirs.status, theirs.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await call('GET', '/v1/push/subscriptions', kim.token)).body.subscriptions).toHaveLength(
      MAX_SUBSCRIPTIONS,
    );
    const mine = await call('DELETE', `/v1/push/subscriptions/${created.body.subscriptionId}`, kim.token);
    expect(mine.status).toBe(204);
    expect(
      (await call('DELETE', `/v1/push/subscriptions/${created.body.subscriptionId}`, kim.token)).status,
    ).toBe(404);

    // The browser signed in as Lee now: the endpoint moves to Lee.
    const moved = await call('POST', '/v1/push/subscriptions', lee.token, one);
    expect(moved.status).toBe(201);
    expect(
      (await call('GET', '/v1/push/subscriptions', kim.token)).body.subscriptions.map(
        (s: { endpoint: string }) => s.endpoint,
      ),
    ).not.toContain(one.endpoint);

    for (const [method, path] of [
      ['GET', '/v1/push/vapid-public-key'],
      ['GET', '/v1/push/subscriptions'],
      ['POST', '/v1/push/subscriptions'],
      ['DELETE', `/v1/push/subscriptions/${moved.body.subscriptionId}`],
      ['GET', '/v1/push/settings'],
      ['PUT', '/v1/push/settings'],
    ] as const) {
      const answer = await call(
        method,
        path,
        undefined,
        method === 'GET' || method === 'DELETE' ? undefined : one,
      );
      expect([method, path, answer.status, answer.body.error.code]).toEqual([
        method,
        path,
        401,
        'TOKEN_MISSING',
      ]);
    }
    expect((await call('GET', '/v1/push/subscriptions', lee.token)).body.subscriptions).toHaveLength(1);
  });

  it('given six services asking for the VAPID keys at once on a new installation, then one pair is generated and all get it; keys of the environment win', async () => {
    const databaseUrl = databaseUrlFor(fixture.world.env.databaseUrl, randomName('t_vapid').toLowerCase());
    await ensureDatabase(databaseUrl);
    await migrate({ databaseUrl, ...PROJECT_MIGRATIONS });
    // testPool: the forced drop below may end a connection the pool is still closing (an error on
    // the pool that would otherwise fail the test; it failed CI once).
    const pool = testPool({ connectionString: databaseUrl, max: 6 });
    try {
      const loads = await Promise.all(
        Array.from({ length: 6 }, () => loadVapidKeys(pool, { subject: 'mailto:tests@parley.invalid' })),
      );
      expect(new Set(loads.map((l) => l.keys.publicKey)).size).toBe(1);
      expect(loads.filter((l) => l.source === 'generated')).toHaveLength(1);
      expect(vapidPairProblem(loads[0]!.keys.publicKey, loads[0]!.keys.privateKey)).toBeUndefined();
      const { rows } = await pool.query('SELECT 1 FROM push_vapid_keys');
      expect(rows).toHaveLength(1);

      const own = generateVapidKeyPair();
      const fromEnvironment = await loadVapidKeys(pool, { ...own, subject: 'https://example.com/contact' });
      expect(fromEnvironment).toEqual({
        source: 'environment',
        keys: { ...own, subject: 'https://example.com/contact' },
      });
      await expect(
        loadVapidKeys(pool, {
          publicKey: own.publicKey,
          privateKey: generateVapidKeyPair().privateKey,
          subject: 'mailto:x@y.z',
        }),
      ).rejects.toThrow('VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY');
    } finally {
      await pool.end();
      await dropDatabase(databaseUrl);
    }
  });

  it('given a notifier that died holding a conversation, then another sends it once the lease ends: nothing lost', async () => {
    const [ada, nora] = [await register('ada'), await register('nora')];
    const phone = await subscribe(nora);
    await send(ada, nora, 'hello nora');
    await recorded(nora, 1);
    // Another notifier takes the due conversation (30 s lease) and dies before it sends anything.
    const dead = new NotifierStore(fixture.pool, { graceMs: GRACE_MS, collapseWindowMs: WINDOW_MS });
    const deadNow = Date.now() + ahead + GRACE_MS;
    const taken = await dead.claimDue(deadNow, 100, deadNow + 30_000);
    expect(taken).toContainEqual({
      userId: nora.userId,
      conversationId: directConversationId(ada.userId, nora.userId),
    });
    advance(GRACE_MS);
    // The live notifier's loop has time to run: the lease keeps it off the conversation.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requestsTo(phone)).toEqual([]);
    expect((await pending(nora.userId)).every((r) => !r.done)).toBe(true);

    advance(31_000);
    expect((await allDone(nora, 1)).map((r) => r.outcome)).toEqual(['notified']);
    expect(receiver.receivedBy(phone)).toHaveLength(1);
  });

  it('given the notifier stopped while it waits to retry, then the thread is let go and the next notifier sends it: nothing lost', async () => {
    const [ada, mia] = [await register('ada'), await register('mia')];
    const phone = await subscribe(mia);
    receiver.answerWith(phone, [{ status: 503, retryAfter: '4' }]);
    await send(ada, mia, 'still there?');
    await recorded(mia, 1);
    advance(GRACE_MS);
    await waitFor(() => receiver.requestsTo(phone).length === 1, { what: 'the first attempt' });
    await notifier.stop();
    const { rows } = await fixture.pool.query<{ claimed: boolean; done: boolean }>(
      `SELECT t.claimed_until IS NOT NULL AS claimed, p.done_at IS NOT NULL AS done
         FROM push_threads t JOIN push_pending p USING (user_id, conversation_id) WHERE t.user_id = $1`,
      [mia.userId],
    );
    expect(rows).toEqual([{ claimed: false, done: false }]);

    notifier = await startOne();
    expect((await allDone(mia, 1)).map((r) => r.outcome)).toEqual(['notified']);
    expect(receiver.requestsTo(phone).map((r) => r.status)).toEqual([503, 201]);
    expect(receiver.receivedBy(phone)).toHaveLength(1);
  });
});
