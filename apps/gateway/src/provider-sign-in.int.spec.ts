// Sign-in with an OpenID Connect provider against a real one (oidc-provider, started here in a
// process of its own), through a gateway on the real stack: the whole flow as a browser goes
// through it, each refusal the protocol calls for, linking, unlinking and a password for an
// account a provider made, and a flow that starts on one gateway node and ends on another.
import { randomBytes, randomUUID } from 'node:crypto';
import { readTopic } from '@parley/kafka';
import { createSignInProviders } from '@parley/identity-providers';
import type { ProviderSettings } from '@parley/config';
import { gatewayClients } from '../test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';
import {
  TestUserAgent,
  freePort,
  startTestIdentityProvider,
  type TestIdentityProvider,
} from '../test/oidc-test-provider';

/** What each login at the test provider says about its person. */
const ACCOUNTS = {
  ada: { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' },
  'ada-at-beta': { email: 'ada@example.com', email_verified: true, name: 'Ada L.' },
  mallory: { email: 'ada@example.com', email_verified: false, name: 'Not Ada' },
  grace: { email: 'grace@example.com', email_verified: true, name: 'Grace Hopper' },
};

const SECRET = 'test-client-secret-of-some-length';
const other = () => randomBytes(32).toString('base64url');

describe('sign-in with an OpenID Connect provider (oidc-provider, real)', () => {
  let fixture: GatewayFixture;
  let idp: TestIdentityProvider;
  let base: string;
  const { call, register } = gatewayClients(() => fixture.baseUrl);

  /** Everything after the browser left the provider: the callback, then the web app's exchange. */
  const finish = async (agent: TestUserAgent, callbackUrl: string) => {
    const landing = await agent.request(callbackUrl);
    expect(landing.status).toBe(303);
    const location = new URL(landing.location ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${base}/auth/callback`);
    // The token never travels in a URL: only a one-time result id, in the fragment.
    expect(location.search).toBe('');
    const result = new URLSearchParams(location.hash.slice(1)).get('result') ?? '';
    return { ...(await exchange(agent, result)), result };
  };

  /** The web app's exchange of a one-time result, from `agent` (with its cookies). */
  const exchange = async (agent: TestUserAgent, result: string | null, at = base) => {
    const answer = await agent.request(`${at}/v1/auth/exchange`, { json: { result } });
    return { status: answer.status, body: JSON.parse(answer.body) as Record<string, any> };
  };

  const resultOf = (step: { location?: string }) =>
    new URLSearchParams(new URL(step.location ?? '').hash.slice(1)).get('result');

  /** The link-intent call, as the web app makes it: same-origin from the browser, with the token. */
  const linkIntent = async (agent: TestUserAgent, provider: string, token: string) => {
    const answer = await agent.request(`${base}/v1/me/identities/${provider}/link-intent`, {
      method: 'POST',
      bearer: token,
    });
    return { status: answer.status, body: JSON.parse(answer.body) as Record<string, any> };
  };

  /** The provider's authorization URL for a new sign-in (or a link, with `startUrl`). */
  const start = async (
    agent: TestUserAgent,
    provider: string,
    startUrl = `${base}/v1/auth/${provider}/start`,
  ) => {
    const step = await agent.request(startUrl);
    expect(step.status).toBe(303);
    return step.location ?? '';
  };

  const callbackPrefix = (provider: string) => `${base}/v1/auth/${provider}/callback`;

  /** A whole sign-in as `login` at `provider`, in a browser of its own unless one is given. */
  const signIn = async (provider: string, login: string, agent = new TestUserAgent()) => {
    const authorizationUrl = await start(agent, provider);
    const callbackUrl = await agent.signInAtProvider(authorizationUrl, login, callbackPrefix(provider));
    return finish(agent, callbackUrl);
  };

  const refusalOf = (answer: { status: number; body: Record<string, any> }) => [
    answer.status,
    answer.body.error?.code,
  ];

  /** chat.users, decoded, read until it holds a `type` event of `userId`. */
  const usersEvents = async (type: string, userId: string): Promise<Record<string, any>[]> => {
    const records = await readTopic(fixture.world.kafka, fixture.world.topic('chat.users'), (all) =>
      all.some((r) => r.key?.toString() === userId && r.headers['event-type'] === type),
    );
    return (await Promise.all(records.map((r) => fixture.serde.decode(r.value as Buffer)))) as Record<
      string,
      any
    >[];
  };

  beforeAll(async () => {
    const [gatewayPort, idpPort] = await Promise.all([freePort(), freePort()]);
    base = `http://127.0.0.1:${gatewayPort}`;
    const client = (clientId: string) => ({
      clientId,
      clientSecret: SECRET,
      redirectUris: [`${base}/v1/auth/${clientId}/callback`],
    });
    idp = await startTestIdentityProvider({
      port: idpPort,
      clients: [client('alpha'), client('beta'), client('expiring'), client('elsewhere')],
      accounts: ACCOUNTS,
    });
    const oidc = (id: string, issuer = idp.issuer): ProviderSettings => ({
      kind: 'oidc',
      id,
      name: id.charAt(0).toUpperCase() + id.slice(1),
      issuer,
      clientId: id,
      clientSecret: SECRET,
      scopes: ['openid', 'email', 'profile'],
    });
    fixture = await startGatewayFixture('oidc', {
      // Every read model: the new accounts chat (sending waits for the messages read model).
      delivery: false,
      port: gatewayPort,
      signIn: {
        providers: createSignInProviders([
          oidc('alpha'),
          oidc('beta'),
          oidc('expiring'),
          // The same provider under another name for its host: its discovery document names
          // http://127.0.0.1:…, not http://localhost:…, so it is not the configured issuer.
          oidc('elsewhere', idp.issuer.replace('127.0.0.1', 'localhost')),
        ]),
        publicBaseUrl: base,
        mergeVerifiedEmail: true,
      },
    });
  });

  afterAll(async () => {
    await fixture?.dispose();
    await idp?.stop();
  });

  it('lists the configured providers for the sign-in screen, without a token', async () => {
    expect(await call('GET', '/v1/auth/providers')).toEqual({
      status: 200,
      body: {
        providers: [
          { id: 'alpha', name: 'Alpha' },
          { id: 'beta', name: 'Beta' },
          { id: 'expiring', name: 'Expiring' },
          { id: 'elsewhere', name: 'Elsewhere' },
        ],
      },
    });
    expect(refusalOf(await call('GET', '/v1/auth/nobody/start'))).toEqual([404, 'NOT_FOUND']);
  });

  it('signs up through the provider (code flow with PKCE, state, nonce), hands over a working token once, and signs in again to the same account', async () => {
    const agent = new TestUserAgent();
    const authorizationUrl = new URL(await start(agent, 'alpha'));
    expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${idp.issuer}/auth`);
    const params = Object.fromEntries(authorizationUrl.searchParams);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: 'alpha',
      redirect_uri: `${base}/v1/auth/alpha/callback`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
      state: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
    });
    // The browser holds only the state (to prove it started this sign-in); the verifier stays on the server.
    expect(agent.cookie(base, 'parley_sign_in')).toBe(params.state);
    expect(JSON.stringify(params)).not.toContain('verifier');

    const callbackUrl = await agent.signInAtProvider(
      authorizationUrl.toString(),
      'ada',
      callbackPrefix('alpha'),
    );
    const first = await finish(agent, callbackUrl);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      userId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: 'ada',
      token: expect.any(String),
      expiresAt: expect.stringMatching(/^\d{4}-/),
      provider: 'alpha',
      outcome: 'registered',
    });
    // The result is handed over once.
    expect(refusalOf(await exchange(agent, first.result))).toEqual([400, 'SIGN_IN_EXPIRED']);

    // The token works, and the account chats.
    const { token, userId } = first.body;
    expect((await call('GET', '/v1/users/me', token)).body).toEqual({ userId });
    const bob = await register('bob');
    const sent = await call('POST', '/v1/messages', token, {
      messageId: randomUUID(),
      recipientId: bob.userId,
      text: 'Hello from a provider account',
    });
    expect(sent.status).toBe(202);

    // The account and its link are events on chat.users: provider and subject, the verified email.
    const events = await usersEvents('IdentityLinked', userId);
    expect(events.filter((e) => e.userId === userId).map((e) => e.type)).toEqual([
      'UserRegistered',
      'IdentityLinked',
    ]);
    expect(events.find((e) => e.type === 'IdentityLinked' && e.userId === userId)).toMatchObject({
      provider: 'alpha',
      subject: 'ada',
      verifiedEmail: 'ada@example.com',
    });
    expect(events.find((e) => e.type === 'UserRegistered' && e.userId === userId)).toMatchObject({
      displayName: 'Ada Lovelace',
    });

    // The same person again (the provider remembers the browser): the same account, no new one.
    const second = await signIn('alpha', 'ada', agent);
    expect([second.status, second.body.userId, second.body.outcome]).toEqual([200, userId, 'signed_in']);
    // A provider account has no password: the username alone signs nobody in.
    const login = await call('POST', '/v1/auth/login', undefined, {
      username: 'ada',
      password: 'password-1',
    });
    expect(refusalOf(login)).toEqual([401, 'INVALID_CREDENTIALS']);
  });

  it('refuses a callback whose state is not this browser’s, or that comes to a browser without a sign-in', async () => {
    const agent = new TestUserAgent();
    const callbackUrl = await agent.signInAtProvider(
      await start(agent, 'alpha'),
      'grace',
      callbackPrefix('alpha'),
    );
    const forged = new URL(callbackUrl);
    forged.searchParams.set('state', other());
    expect(refusalOf(await finish(agent, forged.toString()))).toEqual([400, 'STATE_MISMATCH']);
    // The sign-in played into another browser (login CSRF): that browser has no cookie for it.
    expect(refusalOf(await finish(new TestUserAgent(), callbackUrl))).toEqual([400, 'SIGN_IN_EXPIRED']);
  });

  it('hands a result only to the browser it landed in: from another browser it is refused, and gone', async () => {
    const agent = new TestUserAgent();
    const callbackUrl = await agent.signInAtProvider(
      await start(agent, 'alpha'),
      'ada',
      callbackPrefix('alpha'),
    );
    const landing = await agent.request(callbackUrl);
    const result = resultOf(landing);
    expect(agent.cookie(base, 'parley_result')).toMatch(/^[\w-]{43}$/);
    // The landing URL sent to a victim (login CSRF): the victim's browser has no binding cookie.
    const elsewhere = await exchange(new TestUserAgent(), result);
    expect(refusalOf(elsewhere)).toEqual([400, 'STATE_MISMATCH']);
    expect(elsewhere.body.error.message).toContain('another browser');
    expect(elsewhere.body.token).toBeUndefined();
    // Taken by that attempt: not even the right browser gets it now.
    expect(refusalOf(await exchange(agent, result))).toEqual([400, 'SIGN_IN_EXPIRED']);
    // A binding of another sign-in does not fit this one.
    const other = new TestUserAgent();
    const otherCallback = await other.signInAtProvider(
      await start(other, 'alpha'),
      'ada',
      callbackPrefix('alpha'),
    );
    const otherResult = resultOf(await other.request(otherCallback));
    other.setCookie(base, 'parley_result', agent.cookie(base, 'parley_result') ?? '');
    expect(refusalOf(await exchange(other, otherResult))).toEqual([400, 'STATE_MISMATCH']);
  });

  it('refuses an ID token whose nonce is not this sign-in’s', async () => {
    const agent = new TestUserAgent();
    const authorizationUrl = new URL(await start(agent, 'alpha'));
    authorizationUrl.searchParams.set('nonce', other());
    const callbackUrl = await agent.signInAtProvider(
      authorizationUrl.toString(),
      'grace',
      callbackPrefix('alpha'),
    );
    expect(refusalOf(await finish(agent, callbackUrl))).toEqual([400, 'NONCE_MISMATCH']);
  });

  it('refuses a code used already, whether the callback is replayed or the code put into a new sign-in', async () => {
    const agent = new TestUserAgent();
    const firstStart = await start(agent, 'alpha');
    const state = agent.cookie(base, 'parley_sign_in') ?? '';
    const callbackUrl = await agent.signInAtProvider(firstStart, 'ada', callbackPrefix('alpha'));
    expect((await finish(agent, callbackUrl)).status).toBe(200);
    // The same callback again, from the same browser: the sign-in is over.
    agent.setCookie(base, 'parley_sign_in', state);
    expect(refusalOf(await finish(agent, callbackUrl))).toEqual([400, 'SIGN_IN_EXPIRED']);
    // The used code in a fresh sign-in of this browser: the provider refuses it.
    await start(agent, 'alpha');
    const reused = new URL(callbackUrl);
    reused.searchParams.set('state', agent.cookie(base, 'parley_sign_in') ?? '');
    expect(refusalOf(await finish(agent, reused.toString()))).toEqual([400, 'CODE_REJECTED']);
  });

  it('refuses a code that expired before it came back (the provider gives `expiring` one second)', async () => {
    const agent = new TestUserAgent();
    const callbackUrl = await agent.signInAtProvider(
      await start(agent, 'expiring'),
      'ada',
      callbackPrefix('expiring'),
    );
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(refusalOf(await finish(agent, callbackUrl))).toEqual([400, 'CODE_REJECTED']);
  });

  it('refuses an answer from another issuer (RFC 9207 iss), and a provider whose discovery names another issuer', async () => {
    const agent = new TestUserAgent();
    const callbackUrl = new URL(
      await agent.signInAtProvider(await start(agent, 'alpha'), 'ada', callbackPrefix('alpha')),
    );
    expect(callbackUrl.searchParams.get('iss')).toBe(idp.issuer);
    callbackUrl.searchParams.set('iss', 'https://attacker.example');
    expect(refusalOf(await finish(agent, callbackUrl.toString()))).toEqual([400, 'ISSUER_MISMATCH']);

    // Misconfigured: the start hands the refusal to the web app; nothing leaves for the provider.
    const elsewhere = new TestUserAgent();
    const step = await elsewhere.request(`${base}/v1/auth/elsewhere/start`);
    expect(step.location).toMatch(new RegExp(`^${base}/auth/callback#result=`));
    expect(refusalOf(await exchange(elsewhere, resultOf(step)))).toEqual([503, 'UNAVAILABLE']);
  });

  it('merges by email only when the provider verified it: an unverified one is refused and makes no account', async () => {
    const ada = await signIn('alpha', 'ada');
    expect(ada.status).toBe(200);
    const mallory = await signIn('beta', 'mallory');
    expect(refusalOf(mallory)).toEqual([409, 'EMAIL_NOT_VERIFIED']);
    const adaAtBeta = await signIn('beta', 'ada-at-beta');
    expect([adaAtBeta.status, adaAtBeta.body.userId, adaAtBeta.body.outcome]).toEqual([
      200,
      ada.body.userId,
      'linked',
    ]);
    const identities = await call('GET', '/v1/me/identities', ada.body.token);
    expect(identities.body).toEqual({
      identities: [
        { provider: 'alpha', name: 'Alpha', linkedAt: expect.any(String) },
        { provider: 'beta', name: 'Beta', linkedAt: expect.any(String) },
      ],
      password: false,
    });
    const events = await usersEvents('IdentityLinked', adaAtBeta.body.userId);
    expect(events.filter((e) => e.type === 'IdentityLinked' && e.subject === 'mallory')).toEqual([]);
    expect(events.filter((e) => e.type === 'UserRegistered' && e.displayName === 'Not Ada')).toEqual([]);
  });

  it('links a provider to a password account, refuses an identity another account has, and a used link intent', async () => {
    const bob = await register('bob');
    const agent = new TestUserAgent();
    const intent = await linkIntent(agent, 'alpha', bob.token);
    expect(intent).toEqual({
      status: 201,
      body: {
        startUrl: expect.stringMatching(new RegExp(`^${base}/v1/auth/alpha/start\\?link=[\\w-]{43}$`)),
        expiresAt: expect.any(String),
      },
    });
    // The asking browser holds the intent in a cookie; its start takes it.
    const intentValue = new URL(intent.body.startUrl).searchParams.get('link') ?? '';
    expect(agent.cookie(base, 'parley_link')).toBe(intentValue);
    const authorizationUrl = await start(agent, 'alpha', intent.body.startUrl);
    expect(agent.cookie(base, 'parley_link')).toBeUndefined();
    const linked = await finish(
      agent,
      await agent.signInAtProvider(authorizationUrl, 'bob-at-alpha', callbackPrefix('alpha')),
    );
    expect([linked.status, linked.body.userId, linked.body.outcome]).toEqual([200, bob.userId, 'linked']);
    expect((await call('GET', '/v1/me/identities', bob.token)).body).toMatchObject({
      identities: [{ provider: 'alpha' }],
      password: true,
    });
    // Signing in with it from elsewhere is signing in to bob's account.
    const viaAlpha = await signIn('alpha', 'bob-at-alpha');
    expect([viaAlpha.body.userId, viaAlpha.body.outcome]).toEqual([bob.userId, 'signed_in']);

    // The intent was used (even with its cookie back).
    agent.setCookie(base, 'parley_link', intentValue);
    const reused = await agent.request(intent.body.startUrl);
    expect(refusalOf(await exchange(agent, resultOf(reused)))).toEqual([400, 'SIGN_IN_EXPIRED']);

    // Link CSRF: bob's start URL opened in a victim's browser (no link cookie) links nothing: the
    // start refuses before the provider, so the victim's identity never reaches bob's account.
    const betaIntent = await linkIntent(agent, 'beta', bob.token);
    expect(betaIntent.status).toBe(201);
    const victim = new TestUserAgent();
    const lured = await victim.request(betaIntent.body.startUrl);
    expect(lured.location).toMatch(new RegExp(`^${base}/auth/callback#result=`));
    expect(victim.cookie(base, 'parley_sign_in')).toBeUndefined();
    const refused = await exchange(victim, resultOf(lured));
    expect(refusalOf(refused)).toEqual([400, 'STATE_MISMATCH']);
    expect(refused.body.error.message).toContain('another browser');
    // Another intent's cookie does not fit either.
    victim.setCookie(base, 'parley_link', intentValue);
    const mismatched = await victim.request(betaIntent.body.startUrl);
    expect(refusalOf(await exchange(victim, resultOf(mismatched)))).toEqual([400, 'STATE_MISMATCH']);
    expect((await call('GET', '/v1/me/identities', bob.token)).body).toMatchObject({
      identities: [{ provider: 'alpha' }],
    });
    const bobEvents = await usersEvents('IdentityLinked', bob.userId);
    expect(
      bobEvents.filter((e) => e.type === 'IdentityLinked' && e.userId === bob.userId).map((e) => e.provider),
    ).toEqual(['alpha']);

    // Linking ada's identity at beta (another account's) to carol is refused.
    const carol = await register('carol');
    const carolAgent = new TestUserAgent();
    const carolIntent = await linkIntent(carolAgent, 'beta', carol.token);
    const taken = await finish(
      carolAgent,
      await carolAgent.signInAtProvider(
        await start(carolAgent, 'beta', carolIntent.body.startUrl),
        'ada-at-beta',
        callbackPrefix('beta'),
      ),
    );
    expect(refusalOf(taken)).toEqual([409, 'IDENTITY_TAKEN']);
    expect(refusalOf(await call('POST', '/v1/me/identities/nobody/link-intent', carol.token))).toEqual([
      404,
      'NOT_FOUND',
    ]);
  });

  it('lets a provider account set a password, refuses unlinking its last way to sign in, and unlinks once it has another', async () => {
    const grace = await signIn('alpha', 'grace');
    expect(grace.body.outcome).toBe('registered');
    const { token, userId, username } = grace.body;
    expect(refusalOf(await call('DELETE', '/v1/me/identities/alpha', token))).toEqual([
      409,
      'LAST_SIGN_IN_METHOD',
    ]);
    expect(refusalOf(await call('DELETE', '/v1/me/identities/beta', token))).toEqual([404, 'NOT_FOUND']);
    expect(refusalOf(await call('PUT', '/v1/me/password', token, { password: 'short' }))).toEqual([
      400,
      'INVALID_PASSWORD',
    ]);
    expect((await call('PUT', '/v1/me/password', token, { password: 'correct horse' })).status).toBe(204);
    expect(refusalOf(await call('PUT', '/v1/me/password', token, { password: 'another horse' }))).toEqual([
      409,
      'PASSWORD_ALREADY_SET',
    ]);
    const login = await call('POST', '/v1/auth/login', undefined, { username, password: 'correct horse' });
    expect([login.status, login.body.userId]).toEqual([200, userId]);

    expect((await call('DELETE', '/v1/me/identities/alpha', token)).status).toBe(204);
    expect((await call('GET', '/v1/me/identities', token)).body).toEqual({ identities: [], password: true });
    const events = await usersEvents('IdentityUnlinked', userId);
    expect(events.find((e) => e.type === 'IdentityUnlinked' && e.userId === userId)).toMatchObject({
      provider: 'alpha',
      subject: 'grace',
    });
    // Unlinked, the identity no longer leads to grace's account: it makes a new one.
    const after = await signIn('alpha', 'grace');
    expect(after.body.outcome).toBe('registered');
    expect(after.body.userId).not.toBe(userId);
  });

  it('finishes on another gateway node the sign-in one node started (the flow is in Redis), and limits starts per address', async () => {
    const limit = { capacity: 2, refillPerSecond: 0.001 };
    const node = await fixture.startNode({
      port: 0,
      signInLimits: {
        loginPerAddress: limit,
        loginPerUsername: limit,
        registerPerAddress: limit,
        providerPerAddress: limit,
      },
    });
    const otherBase = `http://127.0.0.1:${node.port}`;
    const agent = new TestUserAgent();
    const callbackUrl = new URL(
      await agent.signInAtProvider(await start(agent, 'alpha'), 'ada', callbackPrefix('alpha')),
    );
    // The browser brings its cookie to the other node (behind one address, as a load balancer does).
    agent.setCookie(otherBase, 'parley_sign_in', agent.cookie(base, 'parley_sign_in') ?? '');
    const landing = await agent.request(`${otherBase}${callbackUrl.pathname}${callbackUrl.search}`);
    // And its exchange back to the first node, with the binding cookie the other node set.
    agent.setCookie(base, 'parley_result', agent.cookie(otherBase, 'parley_result') ?? '');
    const answer = await exchange(agent, resultOf(landing));
    expect([answer.status, answer.body.username]).toEqual([200, 'ada']);

    // That callback took one of the two; one more start, then the limit.
    expect((await agent.request(`${otherBase}/v1/auth/alpha/start`)).location).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/auth\?/,
    );
    const limited = await agent.request(`${otherBase}/v1/auth/alpha/start`);
    const refusal = await exchange(agent, resultOf(limited), otherBase);
    expect(refusalOf(refusal)).toEqual([429, 'RATE_LIMITED']);
    expect(refusal.body.error.retryAfterMs).toBeGreaterThan(0);
  });
});
