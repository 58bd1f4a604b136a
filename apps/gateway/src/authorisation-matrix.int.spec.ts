// Every HTTP route and every STOMP destination against every way of not having the right: no token,
// a malformed one, `alg: none`, a wrong signature, an expired one, a blocked or deleted account, and
// per resource another user, a non-member and a removed member. The routes are read from the express
// router and the destinations from the gateway's tables, so a new one without a recipe here fails.
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { TokenService } from '@parley/auth';
import { createSignInProviders } from '@parley/identity-providers';
import { EventPublisher } from '@parley/publishing';
import { FrameParser, SERVER_COMMANDS, encodeFrame } from '@parley/stomp';
import { CHAT_DESTINATIONS, REFRESH_DESTINATION, USER_QUEUES } from '@parley/stomp-gateway';
import { gatewayClients, type TestUser } from '../test/gateway-clients';
import { TEST_JWT_SECRET, startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';
import { fillPath, routesOf } from '../test/route-table';

type Expected = readonly [status: number, code: string];

/** Who asks, for the cases that are about the caller's relation to the resource. */
type Caller = 'owner' | 'member' | 'outsider' | 'removed';

interface World {
  readonly users: Record<Caller | 'carol' | 'dan' | 'blocked' | 'deleted', TestUser>;
  readonly groupId: string;
  /** The owner's messages: one to act on, one the owner deletes for everybody, one to edit. */
  readonly messageId: string;
  readonly spareMessageId: string;
  /** A push subscription of the owner's. */
  readonly pushSubscriptionId: string;
  readonly editableMessageId: string;
}

/** A browser's PushSubscription.toJSON(), with keys of its own. */
const pushSubscription = () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint: `https://push.example.com/send/${randomUUID()}`,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
  };
};

interface HttpRecipe {
  /** Public routes take no token; the others are checked against every bad token. */
  readonly access: 'public' | 'signed-in' | 'admin';
  readonly request?: (world: World) => { params?: Record<string, string>; query?: string; body?: unknown };
  /** Refusals by relation (`another user`, `non-member`, `removed member`, `non-admin`). */
  readonly relations?: Readonly<Record<string, readonly [Caller, Expected]>>;
  /** Who succeeds with the same request (proves the refusals are about the right, not the request). */
  readonly allowed?: Caller | 'admin' | 'passwordless';
}

const CONVERSATION_CASES = {
  'non-member': ['outsider', [404, 'NOT_FOUND']],
  'removed member': ['removed', [404, 'NOT_FOUND']],
} as const satisfies Record<string, readonly [Caller, Expected]>;

/** One recipe per `METHOD path` of the router. */
const HTTP_RECIPES: Readonly<Record<string, HttpRecipe>> = {
  'POST /v1/auth/register': { access: 'public' },
  'POST /v1/auth/login': { access: 'public' },
  'GET /v1/openapi.json': { access: 'public' },
  'GET /v1/users/me': { access: 'signed-in', allowed: 'member' },
  // Any signed-in user may look any (not deleted) user up by the exact username.
  'GET /v1/users': {
    access: 'signed-in',
    request: (w) => ({ query: `username=${w.users.owner.username}` }),
    allowed: 'outsider',
  },
  // Any signed-in user may name any (not deleted) user by id: senders and members come as ids.
  'GET /v1/users/:userId': {
    access: 'signed-in',
    request: (w) => ({ params: { userId: w.users.owner.userId } }),
    allowed: 'outsider',
  },
  'PUT /v1/admin/users/:userId/status': {
    access: 'admin',
    request: (w) => ({ params: { userId: w.users.carol.userId }, body: { status: 'active' } }),
    relations: { 'non-admin': ['owner', [403, 'FORBIDDEN']] },
    allowed: 'admin',
  },
  'POST /v1/messages': {
    access: 'signed-in',
    request: (w) => ({ body: { messageId: randomUUID(), conversationId: w.groupId, text: 'matrix' } }),
    relations: CONVERSATION_CASES,
    allowed: 'member',
  },
  'PATCH /v1/messages/:messageId': {
    access: 'signed-in',
    request: (w) => ({ params: { messageId: w.editableMessageId }, body: { text: 'matrix' } }),
    relations: { ...CONVERSATION_CASES, 'another user': ['member', [403, 'NOT_SENDER']] },
    allowed: 'owner',
  },
  'PATCH /v1/messages/:messageId/status': {
    access: 'signed-in',
    request: (w) => ({ params: { messageId: w.messageId }, body: { status: 'deleted_for_everybody' } }),
    relations: { ...CONVERSATION_CASES, 'another user': ['member', [403, 'NOT_SENDER']] },
    allowed: 'owner',
  },
  'GET /v1/messages': {
    access: 'signed-in',
    request: () => ({ query: 'since=2020-01-01T00:00:00Z' }),
    allowed: 'member',
  },
  'POST /v1/conversations': {
    access: 'signed-in',
    request: (w) => ({ body: { title: 'matrix', memberIds: [w.users.member.userId] } }),
    allowed: 'member',
  },
  'GET /v1/conversations': { access: 'signed-in', allowed: 'member' },
  'GET /v1/conversations/:conversationId/messages': {
    access: 'signed-in',
    request: (w) => ({ params: { conversationId: w.groupId } }),
    relations: CONVERSATION_CASES,
    allowed: 'member',
  },
  'POST /v1/conversations/:conversationId/members': {
    access: 'signed-in',
    request: (w) => ({ params: { conversationId: w.groupId }, body: { userId: w.users.dan.userId } }),
    relations: CONVERSATION_CASES,
    allowed: 'member',
  },
  'DELETE /v1/conversations/:conversationId/members/:userId': {
    access: 'signed-in',
    request: (w) => ({ params: { conversationId: w.groupId, userId: w.users.carol.userId } }),
    relations: { ...CONVERSATION_CASES, 'another user': ['member', [403, 'NOT_GROUP_OWNER']] },
    allowed: 'owner',
  },
  // Presence is visible to every signed-in user (PROTOCOL §2 does not limit it; docs/api.md says so).
  'GET /v1/users/:userId/presence': {
    access: 'signed-in',
    request: (w) => ({ params: { userId: w.users.owner.userId } }),
    allowed: 'outsider',
  },
  // Provider sign-in: the browser's steps are public; an account's identities are its own only
  // (there is no route to another account's).
  'GET /v1/auth/providers': { access: 'public' },
  'GET /v1/auth/:provider/start': { access: 'public' },
  'GET /v1/auth/:provider/callback': { access: 'public' },
  'POST /v1/auth/exchange': { access: 'public' },
  'GET /v1/me/identities': { access: 'signed-in', allowed: 'member' },
  'POST /v1/me/identities/:provider/link-intent': {
    access: 'signed-in',
    request: () => ({ params: { provider: 'alpha' } }),
    allowed: 'outsider',
  },
  'DELETE /v1/me/identities/:provider': {
    access: 'signed-in',
    request: () => ({ params: { provider: 'alpha' } }),
    allowed: 'member',
  },
  'PUT /v1/me/password': {
    access: 'signed-in',
    request: () => ({ body: { password: 'correct horse' } }),
    allowed: 'passwordless',
  },
  // Push: each user has their own subscriptions and settings; another's subscription is 404.
  'GET /v1/push/vapid-public-key': { access: 'signed-in', allowed: 'outsider' },
  'POST /v1/push/subscriptions': {
    access: 'signed-in',
    request: () => ({ body: pushSubscription() }),
    allowed: 'member',
  },
  'GET /v1/push/subscriptions': { access: 'signed-in', allowed: 'member' },
  'DELETE /v1/push/subscriptions/:subscriptionId': {
    access: 'signed-in',
    request: (w) => ({ params: { subscriptionId: w.pushSubscriptionId } }),
    relations: { 'another user': ['member', [404, 'NOT_FOUND']] },
    allowed: 'owner',
  },
  'GET /v1/push/settings': { access: 'signed-in', allowed: 'member' },
  'PUT /v1/push/settings': {
    access: 'signed-in',
    request: () => ({ body: { previews: false } }),
    allowed: 'member',
  },
};

/** Served ahead of the router (ops middleware): public, listed here so the matrix says so. */
const PUBLIC_OUTSIDE_ROUTER = ['GET /healthz'];

type StompOutcome = { error: string } | { refused: string } | { receipt: true };

interface StompRecipe {
  readonly frame: (world: World) => {
    command: 'SUBSCRIBE' | 'SEND';
    headers: Record<string, string>;
    body?: unknown;
  };
  readonly relations?: Readonly<Record<string, readonly [Caller, string]>>;
  readonly allowed: Caller;
}

const STOMP_CONVERSATION_CASES = {
  'non-member': ['outsider', 'NOT_FOUND'],
  'removed member': ['removed', 'NOT_FOUND'],
} as const satisfies Record<string, readonly [Caller, string]>;

const subscribe = (destination: string) => () => ({
  command: 'SUBSCRIBE' as const,
  headers: { id: 'probe-sub', destination },
});

/** One recipe per destination: user queues, the conversation topic (`{id}`), SEND destinations. */
const STOMP_RECIPES: Readonly<Record<string, StompRecipe>> = {
  ...Object.fromEntries(
    USER_QUEUES.map((queue) => [
      `SUBSCRIBE /user/queue/${queue}`,
      { frame: subscribe(`/user/queue/${queue}`), allowed: 'member' },
    ]),
  ),
  'SUBSCRIBE /topic/conversation.{id}': {
    frame: (w) => subscribe(`/topic/conversation.${w.groupId}`)(),
    relations: STOMP_CONVERSATION_CASES,
    allowed: 'member',
  },
  'SEND /app/chat.send': {
    frame: (w) => ({
      command: 'SEND',
      headers: { destination: '/app/chat.send' },
      body: { messageId: randomUUID(), conversationId: w.groupId, text: 'matrix' },
    }),
    relations: STOMP_CONVERSATION_CASES,
    allowed: 'member',
  },
  'SEND /app/chat.read': {
    frame: (w) => ({
      command: 'SEND',
      headers: { destination: '/app/chat.read' },
      body: { conversationId: w.groupId, seq: 0 },
    }),
    relations: STOMP_CONVERSATION_CASES,
    allowed: 'member',
  },
  'SEND /app/chat.delete': {
    frame: (w) => ({
      command: 'SEND',
      headers: { destination: '/app/chat.delete' },
      body: { messageId: w.spareMessageId, scope: 'everyone' },
    }),
    relations: { ...STOMP_CONVERSATION_CASES, 'another user': ['member', 'NOT_SENDER'] },
    allowed: 'owner',
  },
  'SEND /app/chat.edit': {
    frame: (w) => ({
      command: 'SEND',
      headers: { destination: '/app/chat.edit' },
      body: { messageId: w.editableMessageId, text: 'matrix' },
    }),
    relations: { ...STOMP_CONVERSATION_CASES, 'another user': ['member', 'NOT_SENDER'] },
    allowed: 'owner',
  },
  'SEND /app/chat.typing': {
    frame: (w) => ({
      command: 'SEND',
      headers: { destination: '/app/chat.typing' },
      body: { conversationId: w.groupId },
    }),
    relations: STOMP_CONVERSATION_CASES,
    allowed: 'member',
  },
  // The session's own destination: a token of another user is no refresh.
  [`SEND ${REFRESH_DESTINATION}`]: {
    frame: () => ({ command: 'SEND', headers: { destination: REFRESH_DESTINATION } }),
    relations: { 'another user': ['member', 'INVALID_TOKEN'] },
    allowed: 'owner',
  },
};

/** Every destination the gateway's tables name, as the recipes are keyed. */
const STOMP_DESTINATIONS = [
  ...USER_QUEUES.map((queue) => `SUBSCRIBE /user/queue/${queue}`),
  'SUBSCRIBE /topic/conversation.{id}',
  ...CHAT_DESTINATIONS.map((destination) => `SEND ${destination}`),
  `SEND ${REFRESH_DESTINATION}`,
];

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('authorisation matrix', () => {
  let fixture: GatewayFixture;
  const adminId = randomUUID();
  let adminToken: string;
  const { call, register, waitFor } = gatewayClients(() => fixture.baseUrl);
  let world: World;
  /** An account a provider made: no password yet. */
  let passwordlessToken: string;
  /** The token cases: each refused at the door with 401 (HTTP) or an ERROR at CONNECT (STOMP). */
  let badTokens: Record<string, [token: string | undefined, code: string]>;

  beforeAll(async () => {
    fixture = await startGatewayFixture('authz', {
      adminUserIds: [adminId],
      // A provider nobody reaches (nothing here leaves for it): linking can begin.
      signIn: {
        providers: createSignInProviders([
          {
            kind: 'oidc',
            id: 'alpha',
            name: 'Alpha',
            issuer: 'http://127.0.0.1:9',
            clientId: 'matrix',
            scopes: ['openid'],
          },
        ]),
        publicBaseUrl: 'http://127.0.0.1:9',
        mergeVerifiedEmail: false,
      },
    });
    adminToken = (await new TokenService(TEST_JWT_SECRET).issue(adminId)).token;
    const [owner, member, outsider, removed, carol, dan, blocked, deleted] = await Promise.all(
      ['owner', 'member', 'outsider', 'removed', 'carol', 'dan', 'blocked', 'deleted'].map((label) =>
        register(label),
      ),
    );
    const users = {
      owner: owner!,
      member: member!,
      outsider: outsider!,
      removed: removed!,
      carol: carol!,
      dan: dan!,
      blocked: blocked!,
      deleted: deleted!,
    };
    const group = await call('POST', '/v1/conversations', owner!.token, {
      title: 'matrix',
      memberIds: [member!.userId, removed!.userId, carol!.userId],
    });
    expect(group.status).toBe(201);
    const groupId = group.body.conversationId as string;
    expect(
      (await call('DELETE', `/v1/conversations/${groupId}/members/${removed!.userId}`, owner!.token)).status,
    ).toBe(204);
    const say = async () => {
      const messageId = randomUUID();
      const answer = await call('POST', '/v1/messages', owner!.token, {
        messageId,
        conversationId: groupId,
        text: 'hi',
      });
      expect(answer.status).toBe(202);
      return messageId;
    };
    const subscribed = await call('POST', '/v1/push/subscriptions', owner!.token, pushSubscription());
    expect(subscribed.status).toBe(201);
    world = {
      users,
      groupId,
      messageId: await say(),
      spareMessageId: await say(),
      pushSubscriptionId: subscribed.body.subscriptionId as string,
      editableMessageId: await say(),
    };
    for (const [user, status] of [
      [blocked!, 'blocked'],
      [deleted!, 'deleted'],
    ] as const)
      expect(
        (await call('PUT', `/v1/admin/users/${user.userId}/status`, adminToken, { status })).status,
      ).toBe(200);

    // The member has a linked identity (to unlink); a provider-made account has no password (to set).
    const publisher = new EventPublisher(fixture.producer, fixture.serde, fixture.world.prefix);
    const passwordlessId = randomUUID();
    const linked = (userId: string, subject: string) => ({
      type: 'IdentityLinked' as const,
      eventId: randomUUID(),
      occurredAt: Date.now(),
      userId,
      provider: 'alpha',
      subject,
      verifiedEmail: null,
    });
    await publisher.publish([
      linked(member!.userId, 'member-at-alpha'),
      {
        type: 'UserRegistered',
        eventId: randomUUID(),
        occurredAt: Date.now(),
        userId: passwordlessId,
        username: `pl_${passwordlessId.slice(0, 8)}`,
        displayName: null,
      },
      linked(passwordlessId, 'passwordless-at-alpha'),
    ]);
    await waitFor(
      async () =>
        (await fixture.pool.query('SELECT 1 FROM user_identities')).rowCount === 2 &&
        (await fixture.pool.query('SELECT 1 FROM users WHERE user_id = $1', [passwordlessId])).rowCount === 1,
    );
    passwordlessToken = (await new TokenService(TEST_JWT_SECRET).issue(passwordlessId)).token;

    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: member!.userId, iss: 'parley', iat: now, exp: now + 3_600 };
    badTokens = {
      'no token': [undefined, 'TOKEN_MISSING'],
      'malformed token': ['not.a-jwt', 'TOKEN_INVALID'],
      'alg none': [`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`, 'TOKEN_INVALID'],
      'wrong signature': [
        (await new TokenService('another-secret-of-enough-length!!').issue(member!.userId)).token,
        'TOKEN_INVALID',
      ],
      expired: [
        (await new TokenService(TEST_JWT_SECRET, 60).issue(member!.userId, new Date(Date.now() - 3_600_000)))
          .token,
        'TOKEN_EXPIRED',
      ],
      'blocked user': [blocked!.token, 'ACCOUNT_DISABLED'],
      'deleted user': [deleted!.token, 'ACCOUNT_DISABLED'],
    };
  });

  afterAll(() => fixture.dispose());

  const tokenOf = (who: Caller | 'admin' | 'passwordless') =>
    who === 'admin' ? adminToken : who === 'passwordless' ? passwordlessToken : world.users[who].token;

  describe('HTTP', () => {
    it('given the router, then every route has a recipe and every recipe a route', () => {
      const routed = routesOf(fixture.gateway.server).map((route) => route.key);
      expect(routed.length).toBeGreaterThan(5);
      expect(routed.filter((key) => !HTTP_RECIPES[key])).toEqual([]);
      expect(Object.keys(HTTP_RECIPES).filter((key) => !routed.includes(key))).toEqual([]);
    });

    it('given each route and each way of not having the right, then it is refused with the documented code; the rightful caller is served', async () => {
      const failures: string[] = [];
      const check = (what: string, answer: { status: number; body: any }, [status, code]: Expected) => {
        if (
          answer.status !== status ||
          answer.body?.error?.code !== code ||
          typeof answer.body?.error?.message !== 'string'
        )
          failures.push(
            `${what}: expected ${status} ${code}, got ${answer.status} ${JSON.stringify(answer.body)}`,
          );
      };
      const refusedSends: string[] = [];
      for (const route of routesOf(fixture.gateway.server)) {
        const recipe = HTTP_RECIPES[route.key]!;
        if (recipe.access === 'public') {
          // Served without a token (the answer is about the body, never about a token).
          const answer = await call(
            route.method,
            route.path,
            undefined,
            route.method === 'GET' ? undefined : {},
          );
          if (answer.status === 401 && /^TOKEN_/.test(answer.body?.error?.code))
            failures.push(`${route.key} wants a token`);
          continue;
        }
        const request = () => {
          const { params = {}, query, body } = recipe.request?.(world) ?? {};
          return { path: fillPath(route.path, params) + (query ? `?${query}` : ''), body };
        };
        const send = async (token: string | undefined) => {
          const { path, body } = request();
          const answer = await call(route.method, path, token, body);
          if (route.key === 'POST /v1/messages' && answer.status >= 400)
            refusedSends.push((body as { messageId: string }).messageId);
          return answer;
        };
        for (const [name, [token, code]] of Object.entries(badTokens))
          check(`${route.key} with ${name}`, await send(token), [401, code]);
        for (const [name, [caller, expected]] of Object.entries(recipe.relations ?? {}))
          check(`${route.key} as ${name}`, await send(tokenOf(caller)), expected);
        const allowed = await send(tokenOf(recipe.allowed ?? 'member'));
        if (allowed.status >= 300)
          failures.push(
            `${route.key} refused its rightful caller: ${allowed.status} ${JSON.stringify(allowed.body)}`,
          );
      }
      expect(failures).toEqual([]);
      // Nothing refused was recorded: none of the refused sends is in the group's history.
      await waitFor(
        async () =>
          (await call('GET', `/v1/conversations/${world.groupId}/messages`, world.users.owner.token))
            .status === 200,
      );
      const history = await call(
        'GET',
        `/v1/conversations/${world.groupId}/messages?limit=200`,
        world.users.owner.token,
      );
      const ids = (history.body.messages as { messageId: string }[]).map((m) => m.messageId);
      expect(refusedSends.length).toBeGreaterThan(0);
      expect(refusedSends.filter((id) => ids.includes(id))).toEqual([]);
    });

    it('given the routes outside the router, then they are public', async () => {
      for (const key of PUBLIC_OUTSIDE_ROUTER) {
        const [method, path] = key.split(' ') as [string, string];
        expect((await call(method, path)).status).toBe(200);
      }
    });
  });

  describe('STOMP', () => {
    /** CONNECT with `token`, subscribe to the errors queue, then the frame (with a receipt): what came of it. */
    async function exchange(
      token: string | undefined,
      frame: ReturnType<StompRecipe['frame']>,
      refreshToken?: string,
    ): Promise<StompOutcome> {
      const ws = new WebSocket(`ws://127.0.0.1:${fixture.port}/ws`, ['v12.stomp']);
      ws.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const parser = new FrameParser({ maxFrameBytes: 1024 * 1024, commands: SERVER_COMMANDS });
      const outcome = new Promise<StompOutcome>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer within 15 s')), 15_000);
        const done = (value: StompOutcome) => {
          clearTimeout(timer);
          resolve(value);
        };
        ws.on('message', (data: Buffer) => {
          for (const item of parser.push(data)) {
            if (item.kind !== 'frame') continue;
            const { command, headers, body } = item.frame;
            if (command === 'ERROR') done({ error: headers.message ?? '' });
            if (command === 'RECEIPT' && headers['receipt-id'] === 'probe') done({ receipt: true });
            if (command === 'MESSAGE' && headers.destination === '/user/queue/errors') {
              const refusal = JSON.parse(body.toString()) as { code: string; receiptId?: string };
              if (refusal.receiptId === 'probe') done({ refused: refusal.code });
            }
          }
        });
        ws.on('close', () => done({ error: 'closed without ERROR' }));
      });
      const headers: Record<string, string> = { ...frame.headers, receipt: 'probe' };
      if (refreshToken) headers.Authorization = `Bearer ${refreshToken}`;
      ws.send(
        Buffer.concat([
          encodeFrame({
            command: 'CONNECT',
            headers: {
              'accept-version': '1.2',
              host: 'parley',
              ...(token ? { Authorization: `Bearer ${token}` } : {}),
            },
            body: Buffer.alloc(0),
          }),
          encodeFrame({
            command: 'SUBSCRIBE',
            headers: { id: 'errors', destination: '/user/queue/errors' },
            body: Buffer.alloc(0),
          }),
          encodeFrame({
            command: frame.command,
            headers,
            body: Buffer.from(frame.body === undefined ? '' : JSON.stringify(frame.body)),
          }),
        ]),
      );
      try {
        return await outcome;
      } finally {
        ws.close();
      }
    }

    it('given the destination tables, then every destination has a recipe and every recipe a destination', () => {
      expect(STOMP_DESTINATIONS.filter((key) => !STOMP_RECIPES[key])).toEqual([]);
      expect(Object.keys(STOMP_RECIPES).filter((key) => !STOMP_DESTINATIONS.includes(key))).toEqual([]);
    });

    it('given each destination and each way of not having the right, then it is refused with the documented code; the rightful caller is served', async () => {
      const failures: string[] = [];
      const expectOutcome = (what: string, got: StompOutcome, want: StompOutcome) => {
        if (JSON.stringify(got) !== JSON.stringify(want))
          failures.push(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      };
      for (const key of STOMP_DESTINATIONS) {
        const recipe = STOMP_RECIPES[key]!;
        const refresh = key === `SEND ${REFRESH_DESTINATION}`;
        for (const [name, [token, code]] of Object.entries(badTokens)) {
          expectOutcome(`${key} with ${name}`, await exchange(token, recipe.frame(world)), { error: code });
          // The refresh destination also judges the token it is given.
          if (refresh && token)
            expectOutcome(
              `${key} given ${name}`,
              await exchange(world.users.owner.token, recipe.frame(world), token),
              { refused: code },
            );
        }
        for (const [name, [caller, code]] of Object.entries(recipe.relations ?? {})) {
          const token = refresh ? world.users.owner.token : tokenOf(caller);
          expectOutcome(
            `${key} as ${name}`,
            await exchange(token, recipe.frame(world), refresh ? tokenOf(caller) : undefined),
            { refused: code },
          );
        }
        const allowed = tokenOf(recipe.allowed);
        expectOutcome(
          `${key} by its rightful caller`,
          await exchange(allowed, recipe.frame(world), refresh ? allowed : undefined),
          { receipt: true },
        );
      }
      expect(failures).toEqual([]);
    });
  });
});
