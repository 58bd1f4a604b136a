// HTTP bodies, headers and path parameters from fast-check for every route of the router: arbitrary
// JSON and non-JSON bodies, wrong content types and encodings, huge bodies, deep nesting, wrong types
// per field, garbage path parameters. Never a 5xx; a refusal is a 4xx of the documented shape; a
// refused send records nothing. Routes come from the express router: one without a recipe fails.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { TokenService } from '@parley/auth';
import { createSignInProviders } from '@parley/identity-providers';
import { gatewayClients, type TestUser } from '../test/gateway-clients';
import { TEST_JWT_SECRET, startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';
import { routesOf } from '../test/route-table';

const RUNS = Number(process.env.PARLEY_FUZZ_HTTP_RUNS ?? 60);

interface FuzzWorld {
  readonly caller: TestUser;
  readonly victim: TestUser;
  readonly groupId: string;
  readonly messageId: string;
}

interface Recipe {
  /** The body's fields (each gets values of every type). */
  readonly fields?: readonly string[];
  /** Query parameters the route reads. */
  readonly query?: readonly string[];
  /** Values a path parameter may take besides garbage (never one whose change would hurt the run). */
  readonly params?: (world: FuzzWorld) => Readonly<Record<string, readonly string[]>>;
  /** Public routes are called without a token (login and register hash passwords: fewer runs). */
  readonly public?: boolean;
  /** Called by an admin, so that the body is judged (a non-admin is refused first). */
  readonly admin?: boolean;
  /** JSON bodies always tried besides the random ones (each with a JSON content type). */
  readonly examples?: (world: FuzzWorld) => readonly unknown[];
}

const RECIPES: Readonly<Record<string, Recipe>> = {
  'POST /v1/auth/register': { fields: ['username', 'password', 'displayName'], public: true },
  'POST /v1/auth/login': { fields: ['username', 'password'], public: true },
  'GET /v1/openapi.json': { public: true },
  'GET /v1/users/me': {},
  'GET /v1/users': { query: ['username'] },
  'GET /v1/users/:userId': { params: (w) => ({ userId: [w.victim.userId] }) },
  'PUT /v1/admin/users/:userId/status': {
    fields: ['status', 'reason'],
    params: (w) => ({ userId: [w.victim.userId] }),
    admin: true,
  },
  'POST /v1/messages': {
    fields: ['messageId', 'conversationId', 'recipientId', 'text'],
    // Sends one rule short of acceptable, each under a fresh messageId: whatever the random inputs
    // are, refused sends that name their message are checked against the history.
    examples: (w) => [
      { messageId: randomUUID(), conversationId: w.groupId, text: 'x'.repeat(4_001) },
      { messageId: randomUUID(), conversationId: w.groupId, text: ' \n\t ' },
      { messageId: randomUUID(), conversationId: w.groupId, recipientId: w.victim.userId, text: 'both' },
      { messageId: randomUUID(), conversationId: randomUUID(), text: 'not a member' },
    ],
  },
  'PATCH /v1/messages/:messageId': {
    fields: ['text', 'editId'],
    params: (w) => ({ messageId: [w.messageId] }),
  },
  'PATCH /v1/messages/:messageId/status': {
    fields: ['status'],
    params: (w) => ({ messageId: [w.messageId] }),
  },
  'GET /v1/messages': { query: ['since', 'limit', 'cursor'] },
  'POST /v1/conversations': { fields: ['title', 'memberIds'] },
  'GET /v1/conversations': { query: ['limit', 'cursor'] },
  'GET /v1/conversations/:conversationId/messages': {
    query: ['beforeSeq', 'afterSeq', 'limit'],
    params: (w) => ({ conversationId: [w.groupId] }),
  },
  'POST /v1/conversations/:conversationId/members': {
    fields: ['userId'],
    params: (w) => ({ conversationId: [w.groupId] }),
  },
  'DELETE /v1/conversations/:conversationId/members/:userId': {
    params: (w) => ({ conversationId: [w.groupId], userId: [w.victim.userId] }),
  },
  'GET /v1/users/:userId/presence': { params: (w) => ({ userId: [w.victim.userId] }) },
  'GET /v1/auth/providers': { public: true },
  'GET /v1/auth/:provider/start': { public: true, query: ['link'], params: () => ({ provider: ['alpha'] }) },
  'GET /v1/auth/:provider/callback': {
    public: true,
    query: ['code', 'state', 'iss', 'error'],
    params: () => ({ provider: ['alpha'] }),
  },
  'POST /v1/auth/exchange': { fields: ['result'], public: true },
  'GET /v1/me/identities': {},
  'POST /v1/me/identities/:provider/link-intent': { params: () => ({ provider: ['alpha'] }) },
  'DELETE /v1/me/identities/:provider': { params: () => ({ provider: ['alpha'] }) },
  'PUT /v1/me/password': { fields: ['password'] },
  'GET /v1/push/vapid-public-key': {},
  'POST /v1/push/subscriptions': { fields: ['endpoint', 'expirationTime', 'keys'] },
  'GET /v1/push/subscriptions': {},
  'DELETE /v1/push/subscriptions/:subscriptionId': { params: () => ({ subscriptionId: [randomUUID()] }) },
  'GET /v1/push/settings': {},
  'PUT /v1/push/settings': { fields: ['previews'] },
};

const garbage = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    '',
    '..',
    '%00',
    '%',
    '%zz',
    ' ',
    'a'.repeat(70),
    'a'.repeat(5_000),
    '__proto__',
    '😀',
    '\u0000',
  ),
);

const value = (world: FuzzWorld) =>
  fc.oneof(
    fc.anything({ maxDepth: 3 }),
    garbage,
    fc.integer(),
    fc.double(),
    fc.constantFrom(
      null,
      true,
      [],
      {},
      world.groupId,
      world.victim.userId,
      world.messageId,
      'read',
      'active',
    ),
  );

const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

function bodyOf(recipe: Recipe, world: FuzzWorld): fc.Arbitrary<string | undefined> {
  const fields = [...(recipe.fields ?? ['x']), '__proto__', 'constructor'];
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.dictionary(fc.constantFrom(...fields), value(world)).map((o) => JSON.stringify(o)),
    },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary' }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        deep(20_000),
        `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
        JSON.stringify({ text: 'x'.repeat(70_000) }),
        'x'.repeat(1_000_000),
        '{"a":1,"a":2}',
        '{',
        'null',
      ),
    },
  );
}

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=klingon',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  undefined,
);
const contentEncoding = fc.constantFrom(
  undefined,
  undefined,
  undefined,
  'identity',
  'gzip',
  'deflate',
  'br',
  'bogus',
);

function pathOf(path: string, recipe: Recipe, world: FuzzWorld): fc.Arbitrary<string> {
  const names = [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
  const known = recipe.params?.(world) ?? {};
  return fc
    .tuple(
      ...names.map((name) =>
        fc.oneof(garbage, fc.constantFrom(...(known[name] ?? [randomUUID()]), randomUUID())),
      ),
    )
    .map((values) => {
      let i = 0;
      return path.replace(/:([A-Za-z]+)/g, () => encodeURIComponent(values[i++] as string));
    });
}

function queryOf(recipe: Recipe): fc.Arbitrary<string> {
  const names = [...(recipe.query ?? []), 'x'];
  return fc
    .array(
      fc.tuple(
        fc.constantFrom(...names),
        fc.oneof(garbage, fc.nat().map(String), fc.constant('2020-01-01T00:00:00Z')),
      ),
      {
        maxLength: 4,
      },
    )
    .map((pairs) =>
      pairs.length ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : '',
    );
}

describe('HTTP fuzzing of every route', () => {
  let fixture: GatewayFixture;
  const { call, register } = gatewayClients(() => fixture.baseUrl);
  let world: FuzzWorld;
  const adminId = randomUUID();
  let adminToken: string;

  beforeAll(async () => {
    fixture = await startGatewayFixture('http-fuzz', {
      adminUserIds: [adminId],
      // A provider nobody reaches: its start and callback refuse, by redirect, whatever comes.
      signIn: {
        providers: createSignInProviders([
          {
            kind: 'oidc',
            id: 'alpha',
            name: 'Alpha',
            issuer: 'http://127.0.0.1:9',
            clientId: 'fuzz',
            scopes: ['openid'],
          },
        ]),
        publicBaseUrl: 'http://127.0.0.1:9',
        mergeVerifiedEmail: false,
      },
    });
    adminToken = (await new TokenService(TEST_JWT_SECRET).issue(adminId)).token;
    const [caller, victim] = [await register('caller'), await register('victim')];
    const group = await call('POST', '/v1/conversations', caller.token, {
      title: 'fuzz',
      memberIds: [victim.userId],
    });
    expect(group.status).toBe(201);
    const messageId = randomUUID();
    const sent = await call('POST', '/v1/messages', caller.token, {
      messageId,
      conversationId: group.body.conversationId,
      text: 'hello',
    });
    expect(sent.status).toBe(202);
    world = { caller, victim, groupId: group.body.conversationId as string, messageId };
  });

  afterAll(() => fixture.dispose());

  it('given the router, then every route has a fuzz recipe', () => {
    const routed = routesOf(fixture.gateway.server).map((route) => route.key);
    expect(routed.filter((key) => !RECIPES[key])).toEqual([]);
    expect(Object.keys(RECIPES).filter((key) => !routed.includes(key))).toEqual([]);
  });

  it(`given ${RUNS} fuzzed requests per route, then none is answered 5xx and every refusal has the documented shape; refused sends record nothing`, async () => {
    const refusedSends: string[] = [];
    const exampleSends: string[] = [];
    const statuses = new Map<string, number>();
    for (const route of routesOf(fixture.gateway.server)) {
      const recipe = RECIPES[route.key]!;
      const examples = recipe.examples?.(world) ?? [];
      if (route.key === 'POST /v1/messages')
        exampleSends.push(...examples.map((e) => (e as { messageId: string }).messageId));
      const request = fc.record({
        path: pathOf(route.path, recipe, world),
        query: queryOf(recipe),
        body: bodyOf(recipe, world),
        contentType,
        contentEncoding,
      });
      await fc.assert(
        fc.asyncProperty(
          request,
          async ({ path, query, body, contentType: type, contentEncoding: encoding }) => {
            const headers: Record<string, string> = {
              ...(type ? { 'content-type': type } : {}),
              ...(encoding ? { 'content-encoding': encoding } : {}),
              ...(recipe.public
                ? {}
                : { authorization: `Bearer ${recipe.admin ? adminToken : world.caller.token}` }),
            };
            const sendsBody = route.method !== 'GET' && body !== undefined;
            const response = await fetch(`${fixture.baseUrl}${path}${query}`, {
              method: route.method,
              headers,
              ...(sendsBody ? { body } : {}),
              // A browser step's redirect is its answer (provider sign-in).
              redirect: 'manual',
            });
            const text = await response.text();
            const what = `${route.method} ${path}${query} (${type ?? 'no type'}, ${encoding ?? 'no encoding'}): ${response.status} ${text.slice(0, 300)}`;
            statuses.set(
              `${route.key} ${response.status}`,
              (statuses.get(`${route.key} ${response.status}`) ?? 0) + 1,
            );
            if (response.status >= 500) throw new Error(`5xx for ${what}`);
            if (response.status >= 400) {
              const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
              if (
                typeof parsed.error?.code !== 'string' ||
                !/^[A-Z_]+$/.test(parsed.error.code) ||
                typeof parsed.error.message !== 'string'
              )
                throw new Error(`not the documented error shape: ${what}`);
              if (route.key === 'POST /v1/messages' && sendsBody) {
                const messageId = (() => {
                  try {
                    return (JSON.parse(body) as { messageId?: unknown } | null)?.messageId;
                  } catch {
                    return undefined;
                  }
                })();
                if (typeof messageId === 'string') refusedSends.push(messageId);
              }
            }
          },
        ),
        {
          numRuns: recipe.public ? Math.ceil(RUNS / 3) : RUNS,
          examples: examples.map((example): [typeof request extends fc.Arbitrary<infer R> ? R : never] => [
            {
              path: route.path,
              query: '',
              body: JSON.stringify(example),
              contentType: 'application/json' as const,
              contentEncoding: undefined,
            },
          ]),
        },
      );
    }
    process.stdout.write(
      `\nHTTP fuzz answers\n${[...statuses]
        .sort()
        .map(([k, n]) => `  ${k.padEnd(70)} ${n}`)
        .join('\n')}\n`,
    );
    // Nothing refused is in the group's history.
    const history = await call(
      'GET',
      `/v1/conversations/${world.groupId}/messages?limit=200`,
      world.caller.token,
    );
    expect(history.status).toBe(200);
    const ids = (history.body.messages as { messageId: string }[]).map((m) => m.messageId);
    // (The setup's message may be named by a refused send: it was there before.)
    expect(refusedSends.filter((id) => id !== world.messageId && ids.includes(id))).toEqual([]);
    // The send recipe's examples were tried, and each was refused (each is one rule short).
    expect(exampleSends.length).toBeGreaterThan(0);
    expect(exampleSends.filter((id) => !refusedSends.includes(id))).toEqual([]);
  }, 600_000); // ~800 requests; a few hash passwords (register, login) on two busy cores
});
