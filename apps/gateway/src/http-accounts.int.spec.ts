import { randomUUID } from 'node:crypto';
import { TokenService } from '@parley/auth';
import { readTopic } from '@parley/kafka';
import { credentialsProjection, usersProjection } from '@parley/read-models';
import { randomName, waitFor } from '@parley/testing';
import { TEST_JWT_SECRET as SECRET, startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

describe('accounts over HTTP (PROTOCOL §1)', () => {
  let fixture: GatewayFixture;
  const world = () => fixture.world;

  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${fixture.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const uniqueName = () => randomName('u').toLowerCase().slice(0, 24);

  beforeAll(async () => {
    fixture = await startGatewayFixture('accounts', {
      projections: [usersProjection, credentialsProjection],
    });
  });

  afterAll(() => fixture.dispose());

  it('serves /healthz publicly, and /readyz and Prometheus /metrics (request counts by route pattern) on the ops listener only', async () => {
    expect((await fetch(`${fixture.baseUrl}/healthz`)).status).toBe(200);
    // What names internal hosts and topics is not on the public port.
    for (const path of ['/readyz', '/metrics'])
      expect((await fetch(`${fixture.baseUrl}${path}`)).status).toBe(404);
    expect((await fetch(`${fixture.opsUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${fixture.opsUrl}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    await call('POST', '/v1/auth/login', { username: 'nobody-here', password: 'wrong password' });
    await call('GET', `/v1/users/${'0'.repeat(8)}/presence`);
    const text = await (await fetch(`${fixture.opsUrl}/metrics`)).text();
    expect(text).toMatch(
      /parley_http_requests_total\{[^}]*route="\/v1\/auth\/login"[^}]*status="401"[^}]*\} 1/,
    );
    expect(text).toMatch(/parley_stomp_sessions_open\{service="gateway"\} \d+/);
    expect(text).toContain('parley_send_to_deliver_seconds_bucket');
    expect(text).toContain('parley_process_cpu_user_seconds_total');
  });

  it('registers, answers with a token that works, and logs in at once', async () => {
    const username = uniqueName();
    const registered = await call('POST', '/v1/auth/register', {
      username,
      password: 'correct horse',
      displayName: 'Ada',
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({
      userId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username,
      token: expect.any(String),
      expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await call('GET', '/v1/users/me', undefined, registered.body.token)).body).toEqual({
      userId: registered.body.userId,
    });

    // Right after registering, before or after the projector caught up.
    const login = await call('POST', '/v1/auth/login', { username, password: 'correct horse' });
    expect(login.status).toBe(200);
    expect(login.body.userId).toBe(registered.body.userId);

    // The events are in Kafka: the account on chat.users, the hash (never the password) on chat.credentials.
    const users = await readTopic(world().kafka, world().topic('chat.users'), (r) => r.length >= 1);
    const events = await Promise.all(users.map((r) => fixture.serde.decode(r.value as Buffer)));
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'UserRegistered',
        userId: registered.body.userId,
        username,
        displayName: 'Ada',
      }),
    );
    const credentials = await readTopic(
      world().kafka,
      world().topic('chat.credentials'),
      (r) => r.length >= 1,
    );
    const raw = Buffer.concat(credentials.map((r) => r.value as Buffer)).toString('latin1');
    expect(raw).toContain('$argon2id$');
    expect(raw).not.toContain('correct horse');
  });

  it('gives a taken username to exactly one of several racing registrations', async () => {
    const username = uniqueName();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        call('POST', '/v1/auth/register', { username, password: 'password-1' }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 201)) {
      expect(refused).toEqual({
        status: 409,
        body: { error: { code: 'USERNAME_TAKEN', message: expect.any(String) } },
      });
    }
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const cases: [unknown, number, string][] = [
      [{ username: 'ab', password: 'password-1' }, 400, 'INVALID_USERNAME'],
      [{ username: 'UPPER', password: 'password-1' }, 400, 'INVALID_USERNAME'],
      [{ username: uniqueName(), password: 'short' }, 400, 'INVALID_PASSWORD'],
      [{ username: uniqueName(), password: 'password-1', displayName: 'a\nb' }, 400, 'INVALID_DISPLAY_NAME'],
      ['{"username": ', 400, 'MALFORMED_JSON'],
      [[1, 2, 3], 400, 'INVALID_USERNAME'],
    ];
    const before = (await fixture.pool.query('SELECT count(*) FROM username_claims')).rows[0].count;
    for (const [body, status, code] of cases) {
      const answer = await call('POST', '/v1/auth/register', body);
      expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status, code });
      expect(typeof answer.body.error.message).toBe('string');
    }
    expect((await fixture.pool.query('SELECT count(*) FROM username_claims')).rows[0].count).toBe(before);
  });

  it('answers an unknown user and a wrong password alike', async () => {
    const username = uniqueName();
    await call('POST', '/v1/auth/register', { username, password: 'password-1' });
    const wrong = await call('POST', '/v1/auth/login', { username, password: 'password-2' });
    const unknown = await call('POST', '/v1/auth/login', { username: uniqueName(), password: 'password-1' });
    expect(wrong).toEqual({
      status: 401,
      body: { error: { code: 'INVALID_CREDENTIALS', message: expect.any(String) } },
    });
    expect(unknown).toEqual(wrong);
    expect((await call('POST', '/v1/auth/login', {})).status).toBe(401);
  });

  it('refuses missing, forged and expired tokens with 401', async () => {
    const { body } = await call('POST', '/v1/auth/register', {
      username: uniqueName(),
      password: 'password-1',
    });
    expect((await call('GET', '/v1/users/me')).body.error.code).toBe('TOKEN_MISSING');
    expect((await call('GET', '/v1/users/me', undefined, `${body.token}x`)).body.error.code).toBe(
      'TOKEN_INVALID',
    );
    const foreign = await new TokenService('another-secret-of-enough-length-0000').issue(body.userId);
    expect((await call('GET', '/v1/users/me', undefined, foreign.token)).status).toBe(401);
    const expired = await new TokenService(SECRET, 60).issue(body.userId, new Date(Date.now() - 3_600_000));
    expect(await call('GET', '/v1/users/me', undefined, expired.token)).toEqual({
      status: 401,
      body: { error: { code: 'TOKEN_EXPIRED', message: expect.any(String) } },
    });
    expect((await call('GET', '/v1/nothing-here', undefined, body.token)).status).toBe(404);
  });

  it('shuts a blocked account out of login and of its existing tokens', async () => {
    const username = uniqueName();
    const { body } = await call('POST', '/v1/auth/register', { username, password: 'password-1' });
    // The admin endpoint comes with the rest of the gateway; the event is what it will produce.
    await fixture.producer.send({
      topic: world().topic('chat.users'),
      key: body.userId,
      value: await fixture.serde.encode({
        type: 'UserStatusChanged',
        eventId: randomUUID(),
        occurredAt: Date.now(),
        userId: body.userId,
        status: 'BLOCKED',
        changedBy: 'admin',
        reason: 'test',
      }),
    });
    await waitFor(async () => (await call('GET', '/v1/users/me', undefined, body.token)).status === 401, {
      what: 'the block to apply',
    });
    expect((await call('GET', '/v1/users/me', undefined, body.token)).body.error.code).toBe(
      'ACCOUNT_DISABLED',
    );
    expect(await call('POST', '/v1/auth/login', { username, password: 'password-1' })).toEqual({
      status: 401,
      body: { error: { code: 'ACCOUNT_DISABLED', message: expect.any(String) } },
    });
  });
});
