// The OpenAPI document against a real gateway node: every route of the express router is documented
// and every documented route is served; each is called with valid input (and with a refusal the
// document names), and every answer's status is documented for its route and its body fits the
// documented schema (ajv, JSON Schema 2020-12). The document served at /v1/openapi.json is the one
// in the repository.
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { TokenService } from '@parley/auth';
import { GATEWAY_OPENAPI } from '@parley/http-api';
import { gatewayClients, type HttpAnswer, type TestUser } from '../test/gateway-clients';
import { TEST_JWT_SECRET, startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';
import { OpenApiValidator, documentedRoutes, expressPath } from '../test/openapi-check';
import { routesOf } from '../test/route-table';
import { createSignInProviders } from '@parley/identity-providers';
import {
  TestUserAgent,
  freePort,
  startTestIdentityProvider,
  type TestIdentityProvider,
} from '../test/oidc-test-provider';

/** Served ahead of the express router (the ops middleware): documented, but not in the route table. */
const OUTSIDE_ROUTER = ['GET /healthz'];

interface World {
  readonly owner: TestUser;
  readonly member: TestUser;
  readonly outsider: TestUser;
  readonly carol: TestUser;
  readonly erin: TestUser;
  readonly adminToken: string;
  readonly groupId: string;
  readonly messageId: string;
  /** An account a provider sign-in made (no password yet), and a sign-in result not yet exchanged. */
  readonly dora: { readonly token: string };
  readonly signInResult: string;
  /** The landing browser's binding cookie for that result (the exchange wants it back). */
  readonly signInCookie: string;
  /** A push subscription of the owner's. */
  readonly pushSubscriptionId: string;
}

interface Call {
  readonly token?: string;
  /** Path parameters, by their OpenAPI name. */
  readonly params?: Record<string, string>;
  readonly query?: string;
  /** A JSON value, or a string sent as it is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** The status this call must get. */
  readonly expect: number;
}

/** Per documented route: calls that must be served, and refusals the document names. */
type Recipe = (w: World) => readonly Call[];

const uniqueName = (label: string) => `${label}_${randomUUID().slice(0, 8)}`;

/** A browser's PushSubscription.toJSON(), with keys of its own. */
const pushSubscription = () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint: `https://push.example.com/send/${randomUUID()}`,
    expirationTime: null,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
  };
};
const renewed = pushSubscription();

const RECIPES: Readonly<Record<string, Recipe>> = {
  'POST /v1/auth/register': (w) => [
    { body: { username: uniqueName('reg'), password: 'password-1', displayName: 'Reg' }, expect: 201 },
    { body: { username: 'X', password: 'password-1' }, expect: 400 },
    { body: { username: w.owner.username, password: 'password-1' }, expect: 409 },
    { body: '{"username": ', expect: 400 },
    { body: JSON.stringify({ username: 'x'.repeat(70_000) }), expect: 413 },
    { body: '{}', headers: { 'content-encoding': 'compress' }, expect: 415 },
  ],
  'POST /v1/auth/login': (w) => [
    { body: { username: w.owner.username, password: 'password-1' }, expect: 200 },
    { body: { username: w.owner.username, password: 'wrong-password' }, expect: 401 },
  ],
  'GET /v1/openapi.json': () => [{ expect: 200 }],
  'GET /v1/users/me': (w) => [{ token: w.member.token, expect: 200 }],
  'GET /v1/users': (w) => [
    { token: w.outsider.token, query: `username=${w.owner.username}`, expect: 200 },
    { token: w.outsider.token, query: `username=${uniqueName('nobody')}`, expect: 404 },
    { token: w.outsider.token, query: 'username=Not-A-Name!', expect: 400 },
  ],
  'GET /v1/users/{userId}': (w) => [
    { token: w.outsider.token, params: { userId: w.owner.userId }, expect: 200 },
    { token: w.outsider.token, params: { userId: randomUUID() }, expect: 404 },
    { token: w.outsider.token, params: { userId: 'bad id' }, expect: 400 },
  ],
  'PUT /v1/admin/users/{userId}/status': (w) => [
    { token: w.adminToken, params: { userId: w.carol.userId }, body: { status: 'active' }, expect: 200 },
    { token: w.owner.token, params: { userId: w.carol.userId }, body: { status: 'active' }, expect: 403 },
    { token: w.adminToken, params: { userId: w.carol.userId }, body: { status: 'gone' }, expect: 400 },
    { token: w.adminToken, params: { userId: randomUUID() }, body: { status: 'active' }, expect: 404 },
  ],
  'POST /v1/messages': (w) => [
    {
      token: w.member.token,
      body: { messageId: randomUUID(), conversationId: w.groupId, text: 'hi' },
      expect: 202,
    },
    {
      token: w.member.token,
      body: { messageId: randomUUID(), recipientId: w.outsider.userId, text: 'hi' },
      expect: 202,
    },
    {
      token: w.outsider.token,
      body: { messageId: randomUUID(), conversationId: w.groupId, text: 'hi' },
      expect: 404,
    },
    {
      token: w.member.token,
      body: { messageId: w.messageId, conversationId: w.groupId, text: 'mine?' },
      expect: 409,
    },
    { token: w.member.token, body: { messageId: randomUUID(), text: 'to nobody' }, expect: 400 },
    { token: w.member.token, body: [], expect: 400 },
  ],
  'GET /v1/messages': (w) => [
    { token: w.owner.token, query: 'since=2020-01-01T00:00:00Z', expect: 200 },
    { token: w.owner.token, query: 'since=2020-01-01T00:00:00Z&limit=1', expect: 200 },
    { token: w.owner.token, query: 'since=yesterday', expect: 400 },
  ],
  'PATCH /v1/messages/{messageId}': (w) => [
    { token: w.owner.token, params: { messageId: w.messageId }, body: { text: 'hello!' }, expect: 200 },
    { token: w.member.token, params: { messageId: w.messageId }, body: { text: 'mine?' }, expect: 403 },
    { token: w.outsider.token, params: { messageId: w.messageId }, body: { text: 'hi' }, expect: 404 },
    {
      token: w.owner.token,
      params: { messageId: w.messageId },
      body: { text: 'x'.repeat(4_001) },
      expect: 400,
    },
  ],
  'PATCH /v1/messages/{messageId}/status': (w) => [
    { token: w.member.token, params: { messageId: w.messageId }, body: { status: 'read' }, expect: 204 },
    {
      token: w.member.token,
      params: { messageId: w.messageId },
      body: { status: 'deleted_for_everybody' },
      expect: 403,
    },
    { token: w.outsider.token, params: { messageId: w.messageId }, body: { status: 'read' }, expect: 404 },
    { token: w.member.token, params: { messageId: w.messageId }, body: { status: 'unread' }, expect: 400 },
  ],
  'POST /v1/conversations': (w) => [
    { token: w.owner.token, body: { title: 'contract', memberIds: [w.member.userId] }, expect: 201 },
    { token: w.owner.token, body: { title: '', memberIds: [] }, expect: 400 },
    { token: w.owner.token, body: { title: 'ghosts', memberIds: [randomUUID()] }, expect: 404 },
  ],
  'GET /v1/conversations': (w) => [
    { token: w.owner.token, expect: 200 },
    { token: w.owner.token, query: 'limit=1', expect: 200 },
    { token: w.owner.token, query: 'limit=0', expect: 400 },
  ],
  'GET /v1/conversations/{conversationId}/messages': (w) => [
    { token: w.owner.token, params: { conversationId: w.groupId }, expect: 200 },
    { token: w.owner.token, params: { conversationId: w.groupId }, query: 'limit=1', expect: 200 },
    { token: w.outsider.token, params: { conversationId: w.groupId }, expect: 404 },
    {
      token: w.owner.token,
      params: { conversationId: w.groupId },
      query: 'beforeSeq=1&afterSeq=0',
      expect: 400,
    },
  ],
  'POST /v1/conversations/{conversationId}/members': (w) => [
    {
      token: w.member.token,
      params: { conversationId: w.groupId },
      body: { userId: w.carol.userId },
      expect: 204,
    },
    {
      token: w.outsider.token,
      params: { conversationId: w.groupId },
      body: { userId: w.outsider.userId },
      expect: 404,
    },
    { token: w.member.token, params: { conversationId: w.groupId }, body: {}, expect: 400 },
  ],
  'DELETE /v1/conversations/{conversationId}/members/{userId}': (w) => [
    { token: w.member.token, params: { conversationId: w.groupId, userId: w.owner.userId }, expect: 403 },
    { token: w.owner.token, params: { conversationId: w.groupId, userId: w.erin.userId }, expect: 204 },
    { token: w.owner.token, params: { conversationId: w.groupId, userId: w.outsider.userId }, expect: 404 },
    { token: w.owner.token, params: { conversationId: 'bad id', userId: w.outsider.userId }, expect: 400 },
  ],
  'GET /v1/users/{userId}/presence': (w) => [
    { token: w.outsider.token, params: { userId: w.owner.userId }, expect: 200 },
    { token: w.outsider.token, params: { userId: randomUUID() }, expect: 404 },
  ],
  'GET /v1/push/vapid-public-key': (w) => [{ token: w.member.token, expect: 200 }],
  'POST /v1/push/subscriptions': (w) => [
    { token: w.member.token, body: renewed, expect: 201 },
    { token: w.member.token, body: renewed, expect: 200 },
    {
      token: w.member.token,
      body: { ...pushSubscription(), endpoint: 'http://push.example.com/x' },
      expect: 400,
    },
    { token: w.member.token, body: [], expect: 400 },
  ],
  'GET /v1/push/subscriptions': (w) => [{ token: w.owner.token, expect: 200 }],
  'DELETE /v1/push/subscriptions/{subscriptionId}': (w) => [
    { token: w.member.token, params: { subscriptionId: w.pushSubscriptionId }, expect: 404 },
    { token: w.owner.token, params: { subscriptionId: w.pushSubscriptionId }, expect: 204 },
    { token: w.owner.token, params: { subscriptionId: 'bad id' }, expect: 400 },
  ],
  'GET /v1/push/settings': (w) => [{ token: w.member.token, expect: 200 }],
  'PUT /v1/push/settings': (w) => [
    { token: w.member.token, body: { previews: false }, expect: 200 },
    { token: w.member.token, body: { previews: 'no' }, expect: 400 },
  ],
  'GET /healthz': () => [{ expect: 200 }],
  'GET /v1/auth/providers': () => [{ expect: 200 }],
  'GET /v1/auth/{provider}/start': () => [
    { params: { provider: 'alpha' }, expect: 303 },
    { params: { provider: 'nobody' }, expect: 404 },
  ],
  'GET /v1/auth/{provider}/callback': () => [
    { params: { provider: 'alpha' }, query: 'code=x&state=y', expect: 303 },
    { params: { provider: 'nobody' }, expect: 404 },
  ],
  'POST /v1/auth/exchange': (w) => [
    { body: { result: w.signInResult }, headers: { cookie: w.signInCookie }, expect: 200 },
    { body: { result: w.signInResult }, headers: { cookie: w.signInCookie }, expect: 400 },
    { body: [], expect: 400 },
  ],
  'GET /v1/me/identities': (w) => [{ token: w.dora.token, expect: 200 }],
  'PUT /v1/me/password': (w) => [
    { token: w.dora.token, body: { password: 'x' }, expect: 400 },
    { token: w.dora.token, body: { password: 'correct horse' }, expect: 204 },
    { token: w.dora.token, body: { password: 'another horse' }, expect: 409 },
  ],
  'POST /v1/me/identities/{provider}/link-intent': (w) => [
    { token: w.owner.token, params: { provider: 'alpha' }, expect: 201 },
    { token: w.owner.token, params: { provider: 'nobody' }, expect: 404 },
  ],
  'DELETE /v1/me/identities/{provider}': (w) => [
    { token: w.owner.token, params: { provider: 'alpha' }, expect: 404 },
    { token: w.dora.token, params: { provider: 'alpha' }, expect: 204 },
  ],
};

const routeKey = (method: string, path: string) => `${method} ${path}`;
const isPublic = (operation: Record<string, unknown>) =>
  Array.isArray(operation.security) && operation.security.length === 0;

describe('the OpenAPI document against the gateway', () => {
  let fixture: GatewayFixture;
  const adminId = randomUUID();
  const { call, register } = gatewayClients(() => fixture.baseUrl);
  const validator = new OpenApiValidator(GATEWAY_OPENAPI);
  const documented = documentedRoutes(GATEWAY_OPENAPI);
  let world: World;
  let idp: TestIdentityProvider;

  /** One call as a recipe gives it: the answer's status and body. */
  const send = async (method: string, path: string, request: Call): Promise<HttpAnswer> => {
    const filled = path.replace(/\{([A-Za-z]+)\}/g, (_m, name: string) =>
      encodeURIComponent(request.params?.[name] ?? `missing-${name}`),
    );
    const response = await fetch(`${fixture.baseUrl}${filled}${request.query ? `?${request.query}` : ''}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(request.token ? { authorization: `Bearer ${request.token}` } : {}),
        ...request.headers,
      },
      ...(request.body === undefined
        ? {}
        : { body: typeof request.body === 'string' ? request.body : JSON.stringify(request.body) }),
      // A browser step's redirect is its answer.
      redirect: 'manual',
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  /**
   * A provider sign-in as `login` up to the web app's landing: the result id, not yet exchanged,
   * and the landing browser's binding cookie.
   */
  const providerSignIn = async (login: string) => {
    const agent = new TestUserAgent();
    const start = await agent.request(`${fixture.baseUrl}/v1/auth/alpha/start`);
    const callback = await agent.signInAtProvider(
      start.location ?? '',
      login,
      `${fixture.baseUrl}/v1/auth/alpha/callback`,
    );
    const landing = await agent.request(callback);
    return {
      result: new URLSearchParams(new URL(landing.location ?? '').hash.slice(1)).get('result') ?? '',
      cookie: `parley_result=${agent.cookie(fixture.baseUrl, 'parley_result') ?? ''}`,
    };
  };

  beforeAll(async () => {
    const [port, idpPort] = await Promise.all([freePort(), freePort()]);
    const secret = 'openapi-client-secret';
    idp = await startTestIdentityProvider({
      port: idpPort,
      clients: [
        {
          clientId: 'alpha',
          clientSecret: secret,
          redirectUris: [`http://127.0.0.1:${port}/v1/auth/alpha/callback`],
        },
      ],
    });
    fixture = await startGatewayFixture('openapi', {
      adminUserIds: [adminId],
      port,
      signIn: {
        providers: createSignInProviders([
          {
            kind: 'oidc',
            id: 'alpha',
            name: 'Alpha',
            issuer: idp.issuer,
            clientId: 'alpha',
            clientSecret: secret,
            scopes: ['openid', 'email', 'profile'],
          },
        ]),
        publicBaseUrl: `http://127.0.0.1:${port}`,
        mergeVerifiedEmail: false,
      },
    });
    const [owner, member, outsider, carol, erin] = await Promise.all(
      ['owner', 'member', 'outsider', 'carol', 'erin'].map((label) => register(label)),
    );
    const group = await call('POST', '/v1/conversations', owner!.token, {
      title: 'contract',
      memberIds: [member!.userId, erin!.userId],
    });
    expect(group.status).toBe(201);
    const messageId = randomUUID();
    const groupId = group.body.conversationId as string;
    expect(
      (
        await call('POST', '/v1/messages', owner!.token, {
          messageId,
          conversationId: groupId,
          text: 'hello',
        })
      ).status,
    ).toBe(202);
    const subscribed = await call('POST', '/v1/push/subscriptions', owner!.token, pushSubscription());
    expect(subscribed.status).toBe(201);
    // The exchange from the landing browser: with its binding cookie.
    const exchangeAs = async ({ result, cookie }: { result: string; cookie: string }) => {
      const answer = await fetch(`${fixture.baseUrl}/v1/auth/exchange`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ result }),
      });
      return (await answer.json()) as { token: string };
    };
    const eve = await providerSignIn('eve');
    world = {
      pushSubscriptionId: subscribed.body.subscriptionId as string,
      owner: owner!,
      member: member!,
      outsider: outsider!,
      carol: carol!,
      erin: erin!,
      adminToken: (await new TokenService(TEST_JWT_SECRET).issue(adminId)).token,
      groupId,
      messageId,
      dora: await exchangeAs(await providerSignIn('dora')),
      signInResult: eve.result,
      signInCookie: eve.cookie,
    };
  });

  afterAll(async () => {
    await fixture.dispose();
    await idp?.stop();
  });

  it('given the router and the document, then every route is documented and every documented route is routed', () => {
    const routed = routesOf(fixture.gateway.server).map((route) => route.key);
    const documentedKeys = documented.map((route) => route.key);
    expect(routed.length).toBeGreaterThan(10);
    expect({ undocumented: routed.filter((key) => !documentedKeys.includes(key)) }).toEqual({
      undocumented: [],
    });
    expect({
      notRouted: documentedKeys.filter((key) => !routed.includes(key) && !OUTSIDE_ROUTER.includes(key)),
    }).toEqual({ notRouted: [] });
  });

  it('given the documented routes, then each has a recipe here and each recipe a route', () => {
    const keys = documented.map((route) => routeKey(route.method, route.path));
    expect(keys.filter((key) => !RECIPES[key])).toEqual([]);
    expect(Object.keys(RECIPES).filter((key) => !keys.includes(key))).toEqual([]);
  });

  it('given GET /v1/openapi.json without a token, then it is the document in the repository', async () => {
    const answer = await call('GET', '/v1/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(JSON.parse(JSON.stringify(GATEWAY_OPENAPI)));
  });

  it('given every documented route called with valid input and with documented refusals, then every answer has a documented status and fits its schema', async () => {
    const problems: string[] = [];
    const statusesSeen = new Map<string, Set<number>>();
    for (const route of documented) {
      const key = routeKey(route.method, route.path);
      const calls = [...(RECIPES[key]?.(world) ?? [])];
      // Every route behind the token check: without one, the documented 401.
      if (!isPublic(route.operation)) calls.push({ expect: 401 });
      for (const request of calls) {
        const answer = await send(route.method, route.path, request);
        const what = `${key} ${JSON.stringify({ ...request, token: request.token ? '…' : undefined }).slice(0, 160)}`;
        if (answer.status !== request.expect)
          problems.push(
            `${what}: expected ${request.expect}, got ${answer.status} ${JSON.stringify(answer.body)}`,
          );
        problems.push(...validator.checkAnswer(route.method, route.path, answer.status, answer.body));
        statusesSeen.set(key, (statusesSeen.get(key) ?? new Set()).add(answer.status));
      }
      // Each route was served at least once (a 2xx, or a browser step's redirect), not only refused.
      if (![...(statusesSeen.get(key) ?? [])].some((status) => status < 400))
        problems.push(`${key}: never served`);
    }
    expect(problems).toEqual([]);
  });

  it('given a response field of another type in the document, then a real answer no longer fits (the check can fail)', async () => {
    const changed = JSON.parse(JSON.stringify(GATEWAY_OPENAPI)) as {
      components: { schemas: { Message: { properties: { text: { type: string } } } } };
    };
    changed.components.schemas.Message.properties.text.type = 'integer';
    const path = '/v1/conversations/{conversationId}/messages';
    const answer = await send('GET', path, {
      token: world.owner.token,
      params: { conversationId: world.groupId },
      expect: 200,
    });
    expect(answer.status).toBe(200);
    expect(validator.checkAnswer('GET', path, 200, answer.body)).toEqual([]);
    expect(new OpenApiValidator(changed).checkAnswer('GET', path, 200, answer.body)).not.toEqual([]);
    // ... and an answer with a status the route does not document is reported too.
    expect(validator.checkAnswer('GET', path, 409, { error: { code: 'X', message: 'x' } })).not.toEqual([]);
    expect(expressPath(path)).toBe('/v1/conversations/:conversationId/messages');
  });
});
