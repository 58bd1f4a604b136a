import { randomUUID } from 'node:crypto';
import type { ParleyEvent } from '@parley/events';
import { KafkaAdmin, readTopic } from '@parley/kafka';
import { randomName, waitFor } from '@parley/testing';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

/**
 * The accounts hardening: sign-in limits in Redis per client address and username, the per-node
 * cap on password hashing, admin names nobody can register, and registrations that a Kafka failure
 * leaves retryable. Clients at other addresses are played through X-Forwarded-For, which this
 * gateway believes from loopback (HTTP_TRUST_PROXY=loopback).
 */
describe('accounts hardening', () => {
  let fixture: GatewayFixture;
  const reservedAdmin = randomName('boss').toLowerCase().slice(0, 24);
  /** A Kafka failure in front of the real publisher, for the next batch it matches. */
  let fault: ((events: readonly ParleyEvent[]) => 'refuse' | 'lose-ack' | undefined) | undefined;

  const limits = {
    loginPerUsername: { capacity: 5, refillPerSecond: 0.2 },
    loginPerAddress: { capacity: 20, refillPerSecond: 0.1 },
    registerPerAddress: { capacity: 5, refillPerSecond: 0.1 },
  };
  const unlimited = { capacity: 100_000, refillPerSecond: 100_000 };

  interface Answer {
    readonly status: number;
    readonly body: any;
    readonly retryAfter: string | null;
  }

  let addressCount = 0;
  /** A client address of its own (TEST-NET-2, one per call site). */
  const freshAddress = () => `198.51.${100 + Math.floor(addressCount / 250)}.${(addressCount++ % 250) + 1}`;
  const uniqueName = () => randomName('u').toLowerCase().slice(0, 24);

  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; token?: string; from?: string; baseUrl?: string } = {},
  ): Promise<Answer> => {
    const response = await fetch(`${options.baseUrl ?? fixture.baseUrl}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.from ? { 'x-forwarded-for': options.from } : {}),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : JSON.parse(text),
      retryAfter: response.headers.get('retry-after'),
    };
  };
  const login = (username: string, password: string, from: string, baseUrl?: string) =>
    call('POST', '/v1/auth/login', { body: { username, password }, from, ...(baseUrl ? { baseUrl } : {}) });
  const register = (username: string, password = 'password-1', from = freshAddress()) =>
    call('POST', '/v1/auth/register', { body: { username, password }, from });
  const registered = async (username = uniqueName()) => {
    const answer = await register(username);
    expect(answer.status).toBe(201);
    return { ...(answer.body as { userId: string; token: string }), username };
  };

  /** The refusal shape: code, a message saying when, retryAfterMs, and Retry-After in whole seconds. */
  const expectRetryLater = (answer: Answer, status: number, code: string, message: RegExp) => {
    expect(answer).toEqual({
      status,
      body: { error: { code, message: expect.stringMatching(message), retryAfterMs: expect.any(Number) } },
      retryAfter: expect.stringMatching(/^\d+$/),
    });
    const retryAfterMs = answer.body.error.retryAfterMs as number;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(Number(answer.retryAfter)).toBe(Math.ceil(retryAfterMs / 1000));
  };

  /** Every event on a topic, read to its end. */
  const eventsOn = async (topic: string): Promise<ParleyEvent[]> => {
    const admin = new KafkaAdmin(fixture.world.kafka);
    await admin.connect();
    const total = (await admin.topicOffsets(fixture.world.topic(topic))).reduce(
      (n, p) => n + Number(p.high),
      0,
    );
    await admin.disconnect();
    const records = await readTopic(
      fixture.world.kafka,
      fixture.world.topic(topic),
      (r) => r.length >= total,
    );
    return Promise.all(records.map((r) => fixture.serde.decode(r.value as Buffer)));
  };

  beforeAll(async () => {
    fixture = await startGatewayFixture('hardening', {
      signInLimits: limits,
      trustProxy: ['loopback'],
      adminUsernames: [reservedAdmin],
      delivery: false,
      accountsPublisher: (real) => ({
        publish: async (events) => {
          const what = fault?.(events);
          if (what === undefined) return real.publish(events);
          fault = undefined;
          if (what === 'lose-ack') await real.publish(events);
          throw new Error('injected: the broker did not acknowledge the batch');
        },
      }),
    });
  });

  afterAll(() => fixture.dispose());

  describe('sign-in limits (Redis token buckets)', () => {
    it('refuses a username’s attempts past its limit, the right password too, until the bucket refills', async () => {
      const user = await registered();
      const attacker = freshAddress();
      const started = Date.now();
      const answers: Answer[] = [];
      for (let i = 0; i < 60; i++) answers.push(await login(user.username, `wrong-${i}`, attacker));
      const elapsedMs = Date.now() - started;

      // Five at once, then one token every 5 s: only a slow run lets another attempt through.
      const firstRefused = answers.findIndex((a) => a.status === 429);
      expect(firstRefused).toBeGreaterThanOrEqual(5);
      expectRetryLater(answers[firstRefused]!, 429, 'RATE_LIMITED', /this username; try again in \d+ s$/);
      const tried = answers.filter((a) => a.status === 401).length;
      expect(tried).toBeLessThanOrEqual(5 + Math.floor(elapsedMs / 5_000));
      expect(answers.filter((a) => a.status === 429)).toHaveLength(60 - tried);

      // The right password is refused as well while the username is limited, from any address.
      const owner = freshAddress();
      expectRetryLater(await login(user.username, 'password-1', owner), 429, 'RATE_LIMITED', /username/);
      // Refused attempts take no token, so polling waits for the refill and no longer.
      const ok = await waitFor(
        async () => {
          const answer = await login(user.username, 'password-1', owner);
          return answer.status === 200 ? answer : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 250, what: 'the username bucket to refill' },
      );
      expect(ok.body.userId).toBe(user.userId);
    });

    it('refuses an address past its limit across many usernames; other addresses carry on', async () => {
      const from = freshAddress();
      const started = Date.now();
      const answers: Answer[] = [];
      for (let i = 0; i < 26; i++) answers.push(await login(uniqueName(), 'password-1', from));
      const elapsedMs = Date.now() - started;

      const firstRefused = answers.findIndex((a) => a.status === 429);
      expect(firstRefused).toBeGreaterThanOrEqual(20);
      expectRetryLater(answers[firstRefused]!, 429, 'RATE_LIMITED', /from your address; try again in \d+ s$/);
      const tried = answers.filter((a) => a.status === 401).length;
      expect(tried).toBeLessThanOrEqual(20 + Math.floor(elapsedMs / 10_000));
      expect(answers.filter((a) => a.status === 429)).toHaveLength(26 - tried);

      expect((await login(uniqueName(), 'password-1', freshAddress())).status).toBe(401);
    });

    it('refuses a registration flood from one address, claiming nothing for the refused', async () => {
      const from = freshAddress();
      const names = Array.from({ length: 9 }, uniqueName);
      const started = Date.now();
      const answers: Answer[] = [];
      for (const name of names) answers.push(await register(name, 'password-1', from));
      const elapsedMs = Date.now() - started;

      const firstRefused = answers.findIndex((a) => a.status === 429);
      expect(firstRefused).toBeGreaterThanOrEqual(5);
      expectRetryLater(answers[firstRefused]!, 429, 'RATE_LIMITED', /registrations from your address/);
      const refused = names.filter((_, i) => answers[i]!.status === 429);
      expect(answers.filter((a) => a.status === 201)).toHaveLength(names.length - refused.length);
      expect(names.length - refused.length).toBeLessThanOrEqual(5 + Math.floor(elapsedMs / 10_000));
      const claimed = await fixture.pool.query('SELECT 1 FROM username_claims WHERE username = ANY($1)', [
        refused,
      ]);
      expect(claimed.rowCount).toBe(0);

      expect((await register(uniqueName(), 'password-1', freshAddress())).status).toBe(201);
    });
  });

  describe('the password hashing cap', () => {
    it('answers a login flood past the cap with 503 UNAVAILABLE while sends keep working', async () => {
      const [ada, bob] = [await registered(), await registered()];
      // A node hashing one password at a time with two waiting, and no sign-in limits in the way.
      const node = await fixture.startNode({
        passwordHashing: { concurrency: 1, queueLength: 2 },
        signInLimits: {
          loginPerUsername: unlimited,
          loginPerAddress: unlimited,
          registerPerAddress: unlimited,
        },
      });
      const nodeUrl = `http://127.0.0.1:${node.port}`;
      let flooding = true;
      const flood: Answer[] = [];
      const attacker = async () => {
        while (flooding) flood.push(await login(ada.username, 'wrong password', freshAddress(), nodeUrl));
      };
      const attackers = Array.from({ length: 8 }, attacker);
      const sends: Answer[] = [];
      let floodDuringSends: Answer[] = [];
      try {
        await waitFor(() => flood.some((a) => a.status === 503), { what: 'the flood to meet the cap' });
        const floodBeforeSends = flood.length;
        for (let i = 0; i < 10; i++) {
          sends.push(
            await call('POST', '/v1/messages', {
              baseUrl: nodeUrl,
              token: ada.token,
              body: { messageId: randomUUID(), recipientId: bob.userId, text: `during the flood ${i}` },
            }),
          );
        }
        floodDuringSends = flood.slice(floodBeforeSends);
      } finally {
        flooding = false;
        await Promise.allSettled(attackers);
      }

      expect(sends.map((s) => s.status)).toEqual(Array(10).fill(202));
      // The flood went on meeting the cap while the sends went through.
      expect(floodDuringSends.some((a) => a.status === 503)).toBe(true);
      const busy = flood.filter((a) => a.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      expectRetryLater(busy[0]!, 503, 'UNAVAILABLE', /try again in \d+ s$/);
      expect(flood.every((a) => a.status === 401 || a.status === 503)).toBe(true);
      expect(node.passwords.load.peakRunning).toBe(1);

      // Once the flood is over the node signs people in again.
      expect((await login(ada.username, 'password-1', freshAddress(), nodeUrl)).status).toBe(200);
    });
  });

  describe('admin rights', () => {
    it('refuses to register a configured admin username, so a stranger never gets its rights', async () => {
      const stranger = await registered();
      const squat = await register(reservedAdmin);
      expect(squat).toMatchObject({ status: 409, body: { error: { code: 'USERNAME_TAKEN' } } });
      const claimed = await fixture.pool.query('SELECT 1 FROM username_claims WHERE username = $1', [
        reservedAdmin,
      ]);
      expect(claimed.rowCount).toBe(0);

      const victim = await registered();
      const attempt = await call('PUT', `/v1/admin/users/${victim.userId}/status`, {
        token: stranger.token,
        body: { status: 'blocked' },
      });
      expect(attempt).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    });

    it('grants admin by user id, and by a username its account held before it was configured', async () => {
      const [alice, legacy, bob] = [await registered(), await registered(), await registered()];
      const node = await fixture.startNode({
        adminUserIds: [alice.userId],
        adminUsernames: [legacy.username],
      });
      const nodeUrl = `http://127.0.0.1:${node.port}`;
      const setStatus = (admin: { token: string }, status: string, baseUrl = nodeUrl) =>
        call('PUT', `/v1/admin/users/${bob.userId}/status`, {
          baseUrl,
          token: admin.token,
          body: { status },
        });

      expect(await setStatus(alice, 'blocked')).toMatchObject({ status: 200, body: { status: 'blocked' } });
      expect(await setStatus(legacy, 'active')).toMatchObject({ status: 200, body: { status: 'active' } });
      // Where neither is configured, neither is an admin.
      expect((await setStatus(alice, 'blocked', fixture.baseUrl)).status).toBe(403);
    });
  });

  describe('registration and Kafka failures', () => {
    const registrations = async (username: string) =>
      (await eventsOn('chat.users')).filter(
        (e): e is Extract<ParleyEvent, { type: 'UserRegistered' }> =>
          e.type === 'UserRegistered' && e.username === username,
      );

    it('lets a retry register a name whose first attempt Kafka refused, exactly once', async () => {
      const username = uniqueName();
      fault = () => 'refuse';
      const failed = await register(username);
      expect(failed.status).toBeGreaterThanOrEqual(500);

      const retry = await register(username);
      expect(retry.status).toBe(201);
      const events = await registrations(username);
      expect(events.map((e) => e.userId)).toEqual([retry.body.userId]);
      expect((await login(username, 'password-1', freshAddress())).body.userId).toBe(retry.body.userId);
    });

    it('completes a half-published registration on retry under the same user id, with the retry’s password', async () => {
      const username = uniqueName();
      // The password hash reaches Kafka, the account does not.
      fault = (events) => (events.some((e) => e.type === 'UserRegistered') ? 'refuse' : undefined);
      const failed = await register(username, 'first-password');
      expect(failed.status).toBeGreaterThanOrEqual(500);
      const claim = await fixture.pool.query<{ user_id: string }>(
        'SELECT user_id FROM username_claims WHERE username = $1',
        [username],
      );
      const firstUserId = claim.rows[0]!.user_id;

      const retry = await register(username, 'second-password');
      expect(retry.status).toBe(201);
      expect(retry.body.userId).toBe(firstUserId);
      expect((await registrations(username)).map((e) => e.userId)).toEqual([firstUserId]);
      const credentials = (await eventsOn('chat.credentials')).filter(
        (e) => e.type === 'CredentialsSet' && e.userId === firstUserId,
      );
      expect(credentials).toHaveLength(2);
      expect((await login(username, 'second-password', freshAddress())).body.userId).toBe(firstUserId);
      expect((await login(username, 'first-password', freshAddress())).status).toBe(401);
    });

    it('leaves a complete account, not a half one, when Kafka took the registration but the answer was lost', async () => {
      const username = uniqueName();
      fault = (events) => (events.some((e) => e.type === 'UserRegistered') ? 'lose-ack' : undefined);
      expect((await register(username)).status).toBeGreaterThanOrEqual(500);
      const [event] = await registrations(username);
      await waitFor(
        async () =>
          (await fixture.pool.query('SELECT 1 FROM users WHERE user_id = $1', [event!.userId])).rowCount ===
          1,
        { what: 'the account to be projected' },
      );

      // The account exists with its password: the name is taken, and its owner signs in.
      expect((await register(username)).body.error.code).toBe('USERNAME_TAKEN');
      expect((await login(username, 'password-1', freshAddress())).body.userId).toBe(event!.userId);
      expect(await registrations(username)).toHaveLength(1);
    });
  });
});
