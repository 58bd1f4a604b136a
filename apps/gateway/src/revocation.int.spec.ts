// Rights taken away reach open sessions at once, driven by the log: a removed member's live feed
// ends, a blocked account's sessions end and send nothing more, a session ends with its token; and
// the limits every session lives within (CONNECT deadline, one inbox, a subscription cap, sessions
// per user).
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { TokenService } from '@parley/auth';
import { EventPublisher } from '@parley/publishing';
import { gatewayClients, type TestUser } from '../test/gateway-clients';
import { TEST_JWT_SECRET, startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

describe('revoked rights and session limits on open connections', () => {
  let fixture: GatewayFixture;
  const { call, register, connect, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);

  beforeAll(async () => {
    fixture = await startGatewayFixture('revocation', {
      sessionLimits: { connectTimeoutMs: 1_000, maxSubscriptions: 6, maxSessionsPerUser: 3 },
    });
  });

  afterEach(() => closeAll());

  afterAll(() => fixture.dispose());

  const createGroup = async (owner: TestUser, members: TestUser[]) => {
    const answer = await call('POST', '/v1/conversations', owner.token, {
      title: 'Team',
      memberIds: members.map((m) => m.userId),
    });
    expect(answer.status).toBe(201);
    return answer.body.conversationId as string;
  };

  it('given a member on the live feed, when removed from the group, then the feed ends with a notice and carries nothing more', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const conversationId = await createGroup(ada, [bob]);
    const stomp = await connect(bob);
    const feed: Record<string, any>[] = [];
    stomp.client.subscribe(`/topic/conversation.${conversationId}`, (m) => feed.push(JSON.parse(m.body)), {
      id: 'team-feed',
    });
    const say = (text: string) =>
      call('POST', '/v1/messages', ada.token, { messageId: randomUUID(), conversationId, text });
    expect((await say('before')).status).toBe(202);
    await waitFor(() => feed.some((f) => f.text === 'before'), { what: 'the feed before the removal' });

    const removedAt = Date.now();
    const removed = await call(
      'DELETE',
      `/v1/conversations/${conversationId}/members/${bob.userId}`,
      ada.token,
    );
    expect(removed.status).toBeLessThan(300);
    const notice = await waitFor(() => stomp.errors.find((e) => e.code === 'SUBSCRIPTION_ENDED'), {
      what: 'SUBSCRIPTION_ENDED on /user/queue/errors',
    });
    expect(Date.now() - removedAt).toBeLessThan(5_000);
    expect(notice).toMatchObject({
      subscription: 'team-feed',
      destination: `/topic/conversation.${conversationId}`,
    });

    expect((await say('after')).status).toBe(202);
    const carol = await register('carol');
    await call('POST', `/v1/conversations/${conversationId}/members`, ada.token, { userId: carol.userId });
    await waitFor(
      async () =>
        (await call('GET', `/v1/conversations/${conversationId}/messages`, carol.token)).status === 200,
    );
    const carolStomp = await connect(carol);
    const carolFeed: Record<string, any>[] = [];
    carolStomp.client.subscribe(`/topic/conversation.${conversationId}`, (m) =>
      carolFeed.push(JSON.parse(m.body)),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await say('later')).status).toBe(202);
    await waitFor(() => carolFeed.some((f) => f.text === 'later'), { what: 'a member still gets the feed' });
    expect(feed.filter((f) => f.text === 'after' || f.text === 'later')).toEqual([]);

    // Subscribing again is refused, as for any non-member.
    stomp.client.subscribe(`/topic/conversation.${conversationId}`, () => undefined, { id: 'again' });
    await waitFor(() => stomp.errors.some((e) => e.code === 'NOT_FOUND'), {
      what: 'NOT_FOUND on resubscribe',
    });
  });

  it('given an open session, when the log says the account is blocked (no admin call on this node, no Redis notice), then the session ends', async () => {
    const bob = await register('bob');
    const stomp = await connect(bob);
    const publisher = new EventPublisher(fixture.producer, fixture.serde, fixture.world.prefix);
    await publisher.publish([
      {
        type: 'UserStatusChanged',
        eventId: randomUUID(),
        occurredAt: Date.now(),
        userId: bob.userId,
        status: 'BLOCKED',
        changedBy: 'another-node-admin',
        reason: null,
      },
    ]);
    const error = await stomp.closed;
    expect(error?.headers.message).toBe('ACCOUNT_DISABLED');
  });

  it('given a session whose token expires, when it is not refreshed it ends; when refreshed it lives on', async () => {
    const bob = await register('bob');
    const shortTokens = new TokenService(TEST_JWT_SECRET, 5);
    const shortLived = { ...bob, token: (await shortTokens.issue(bob.userId)).token };
    const expiring = await connect(shortLived);
    const refreshed = await connect(shortLived);
    const fresh = (await new TokenService(TEST_JWT_SECRET, 3_600).issue(bob.userId)).token;
    const receipt = new Promise<void>((resolve) =>
      refreshed.client.watchForReceipt('refresh-1', () => resolve()),
    );
    refreshed.client.publish({
      destination: '/app/session.refresh',
      headers: { Authorization: `Bearer ${fresh}`, receipt: 'refresh-1' },
      body: '',
    });
    await receipt;
    const error = await expiring.closed;
    expect(error?.headers.message).toBe('TOKEN_EXPIRED');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(refreshed.client.connected).toBe(true);

    // Another user's token is no refresh.
    const ada = await register('ada');
    refreshed.client.publish({
      destination: '/app/session.refresh',
      headers: { Authorization: `Bearer ${ada.token}` },
      body: '',
    });
    await waitFor(() => refreshed.errors.some((e) => e.code === 'INVALID_TOKEN'), { what: 'INVALID_TOKEN' });
  });

  it('closes a socket that never sends CONNECT once the deadline passes', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${fixture.port}/ws`, ['v12.stomp']);
    const received: string[] = [];
    socket.on('message', (data: Buffer) => received.push(data.toString()));
    const openedAt = await new Promise<number>((resolve) => socket.on('open', () => resolve(Date.now())));
    const closedAt = await new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    expect(closedAt - openedAt).toBeGreaterThanOrEqual(900);
    expect(received.join('')).toMatch(/^ERROR\nmessage:CONNECT_TIMEOUT/);
  });

  it('holds one inbox subscription per session, a capped number of subscriptions, and a capped number of sessions per user', async () => {
    const bob = await register('bob');
    const stomp = await connect(bob);
    stomp.client.subscribe('/user/queue/messages', () => undefined, { ack: 'client-individual' });
    stomp.client.subscribe('/user/queue/messages', () => undefined, { ack: 'client-individual' });
    await waitFor(() => stomp.errors.some((e) => e.code === 'INBOX_ALREADY_SUBSCRIBED'));
    // errors and messages are two; four more reach the cap of six, the next is refused.
    for (const queue of ['receipts', 'presence', 'typing', 'receipts'])
      stomp.client.subscribe(`/user/queue/${queue}`, () => undefined);
    stomp.client.subscribe('/user/queue/typing', () => undefined);
    await waitFor(() => stomp.errors.some((e) => e.code === 'TOO_MANY_SUBSCRIPTIONS'));
    expect(stomp.errors.filter((e) => e.code === 'TOO_MANY_SUBSCRIPTIONS')).toHaveLength(1);

    await connect(bob);
    await connect(bob);
    await expect(connect(bob)).rejects.toThrow(/TOO_MANY_SESSIONS/);
  });
});
