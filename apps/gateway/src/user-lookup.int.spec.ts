// GET /v1/users?username= (PROTOCOL §1): a signed-in user finds another by the exact username, to
// start a direct chat with them. Nothing else matches (no prefix, no other case), deleted accounts
// are not found, and a bad username is refused like everywhere else. GET /v1/users/{userId} gives
// the same view by id, so that a client can name the senders and members it knows only by id.
import { randomUUID } from 'node:crypto';
import { TokenService } from '@parley/auth';
import { gatewayClients } from '../test/gateway-clients';
import { TEST_JWT_SECRET, startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

describe('looking a user up by username', () => {
  let fixture: GatewayFixture;
  const adminId = randomUUID();
  const { call, register, waitFor } = gatewayClients(() => fixture.baseUrl);
  const lookUp = (token: string | undefined, query: string) => call('GET', `/v1/users?${query}`, token);

  beforeAll(async () => {
    fixture = await startGatewayFixture('lookup', {
      adminUserIds: [adminId],
      // The defaults (LOOKUP_RATE_PER_SECOND 5, LOOKUP_RATE_BURST 60).
      lookupLimit: { refillPerSecond: 5, capacity: 60 },
    });
  });
  afterAll(() => fixture.dispose());

  it('given a registered user with a display name, then another user finds exactly them by the whole username, and the answer starts a direct chat', async () => {
    const [asker, other] = await Promise.all([register('asker'), register('other')]);
    const username = `ada_${randomUUID().slice(0, 8)}`;
    const registered = await call('POST', '/v1/auth/register', undefined, {
      username,
      password: 'password-1',
      displayName: '  Ada L.  ',
    });
    expect(registered.status).toBe(201);

    await waitFor(async () => (await lookUp(asker.token, `username=${username}`)).status === 200);
    const found = await lookUp(asker.token, `username=${username}`);
    expect(found.body).toEqual({ userId: registered.body.userId, username, displayName: 'Ada L.' });

    // A user without a display name: the field is left out, not null.
    await waitFor(async () => (await lookUp(asker.token, `username=${other.username}`)).status === 200);
    expect((await lookUp(asker.token, `username=${other.username}`)).body).toEqual({
      userId: other.userId,
      username: other.username,
    });

    // The id found is the one to send a first direct message to.
    const sent = await call('POST', '/v1/messages', asker.token, {
      messageId: randomUUID(),
      recipientId: found.body.userId,
      text: 'found you',
    });
    expect(sent.status).toBe(202);
  });

  it('given a part of a username or another spelling, then nothing is found: an exact match only', async () => {
    const asker = await register('asker');
    const target = await register('target');
    await waitFor(async () => (await lookUp(asker.token, `username=${target.username}`)).status === 200);
    for (const name of [target.username.slice(0, -1), target.username.slice(0, 5), `${target.username}_`]) {
      const answer = await lookUp(asker.token, `username=${name}`);
      expect([name, answer.status, answer.body.error.code]).toEqual([name, 404, 'NOT_FOUND']);
    }
    // Usernames are lower case by rule: another case is not a username at all.
    const upper = await lookUp(asker.token, `username=${target.username.toUpperCase()}`);
    expect([upper.status, upper.body.error.code]).toEqual([400, 'INVALID_USERNAME']);
  });

  it('given a missing, malformed or repeated username, then 400 with the code of the rule', async () => {
    const asker = await register('asker');
    const cases: [string, string][] = [
      ['', 'INVALID_USERNAME'],
      ['username=', 'INVALID_USERNAME'],
      ['username=ab', 'INVALID_USERNAME'],
      [`username=${'a'.repeat(33)}`, 'INVALID_USERNAME'],
      ['username=a%20b', 'INVALID_USERNAME'],
      ['username=abc&username=abd', 'INVALID_QUERY'],
    ];
    for (const [query, code] of cases) {
      const answer = await lookUp(asker.token, query);
      expect([query, answer.status, answer.body.error.code, typeof answer.body.error.message]).toEqual([
        query,
        400,
        code,
        'string',
      ]);
    }
  });

  it('given a deleted account, then it is not found; a blocked one still is', async () => {
    const adminToken = (await new TokenService(TEST_JWT_SECRET).issue(adminId)).token;
    const [asker, blocked, deleted] = await Promise.all([
      register('asker'),
      register('blocked'),
      register('deleted'),
    ]);
    for (const user of [blocked, deleted])
      await waitFor(async () => (await lookUp(asker.token, `username=${user.username}`)).status === 200);
    for (const [user, status] of [
      [blocked, 'blocked'],
      [deleted, 'deleted'],
    ] as const)
      expect(
        (await call('PUT', `/v1/admin/users/${user.userId}/status`, adminToken, { status })).status,
      ).toBe(200);

    expect((await lookUp(asker.token, `username=${blocked.username}`)).body).toEqual({
      userId: blocked.userId,
      username: blocked.username,
    });
    const gone = await lookUp(asker.token, `username=${deleted.username}`);
    expect([gone.status, gone.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('given a user id, then any signed-in user gets the same view as by username; an unknown or deleted id is 404, a malformed one 400', async () => {
    const adminToken = (await new TokenService(TEST_JWT_SECRET).issue(adminId)).token;
    const [asker, deleted] = await Promise.all([register('asker'), register('deleted')]);
    const username = `grace_${randomUUID().slice(0, 8)}`;
    const named = await call('POST', '/v1/auth/register', undefined, {
      username,
      password: 'password-1',
      displayName: 'Grace H.',
    });
    const byId = (token: string | undefined, userId: string) =>
      call('GET', `/v1/users/${encodeURIComponent(userId)}`, token);
    await waitFor(async () => (await byId(asker.token, named.body.userId)).status === 200);
    expect((await byId(asker.token, named.body.userId)).body).toEqual({
      userId: named.body.userId,
      username,
      displayName: 'Grace H.',
    });
    await waitFor(async () => (await byId(asker.token, deleted.userId)).status === 200);
    expect((await byId(asker.token, deleted.userId)).body).toEqual({
      userId: deleted.userId,
      username: deleted.username,
    });
    // The caller may name themselves too.
    expect((await byId(asker.token, asker.userId)).body.username).toBe(asker.username);

    expect(
      (await call('PUT', `/v1/admin/users/${deleted.userId}/status`, adminToken, { status: 'deleted' }))
        .status,
    ).toBe(200);
    for (const userId of [deleted.userId, randomUUID()]) {
      const answer = await byId(asker.token, userId);
      expect([answer.status, answer.body.error.code]).toEqual([404, 'NOT_FOUND']);
    }
    const malformed = await byId(asker.token, 'not an id!');
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'INVALID_ID']);
    const missing = await byId(undefined, named.body.userId);
    expect([missing.status, missing.body.error.code]).toEqual([401, 'TOKEN_MISSING']);
  });

  it('given no token, then 401 like every other route, before the username is judged', async () => {
    const missing = await lookUp(undefined, 'username=whoever');
    expect([missing.status, missing.body.error.code]).toEqual([401, 'TOKEN_MISSING']);
    const invalid = await lookUp('not.a-jwt', 'username=A!');
    expect([invalid.status, invalid.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
  });

  it('given a user looking people up faster than the limit, then past the burst they are refused RATE_LIMITED with retryAfterMs, by username and by id alike', async () => {
    const [asker, target] = await Promise.all([register('walker'), register('walked')]);
    const answers = await Promise.all(
      Array.from({ length: 70 }, (_, i) =>
        i % 2 === 0
          ? lookUp(asker.token, `username=nobody_${i}`)
          : call('GET', `/v1/users/${target.userId}`, asker.token),
      ),
    );
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(limited[0]?.body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    // Another user's lookups are their own.
    const other = await register('bystander');
    expect((await call('GET', `/v1/users/${target.userId}`, other.token)).status).toBe(200);
  });
});
