// Every limit has a number: read receipts and typing notices per user, members per group, and a
// conversation list served a page at a time.
import { randomUUID } from 'node:crypto';
import { gatewayClients, type HttpAnswer, type TestUser } from '../test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

describe('limits on reads, typing, groups and the conversation list', () => {
  let fixture: GatewayFixture;
  const { call, register, connect, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);

  beforeAll(async () => {
    fixture = await startGatewayFixture('limits', {
      readLimit: { capacity: 3, refillPerSecond: 0.1 },
      typingLimit: { capacity: 2, refillPerSecond: 0.1 },
      groupMembersMax: 3,
    });
  });

  afterEach(() => closeAll());

  afterAll(() => fixture.dispose());

  const group = async (owner: TestUser, members: TestUser[]) =>
    call('POST', '/v1/conversations', owner.token, { title: 'G', memberIds: members.map((m) => m.userId) });

  it('given a user who marks reads in a burst, when over the bucket, then RATE_LIMITED with retryAfterMs (HTTP and STOMP)', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const sent = await call('POST', '/v1/messages', ada.token, {
      messageId: randomUUID(),
      recipientId: bob.userId,
      text: 'read me',
    });
    await waitFor(
      async () =>
        (await call('GET', `/v1/messages?since=2000-01-01T00:00:00Z`, bob.token)).body.messages.length === 1,
    );
    const statuses: HttpAnswer[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        await call('PATCH', `/v1/messages/${sent.body.messageId}/status`, bob.token, { status: 'read' }),
      );
    expect(statuses.slice(0, 3).map((a) => a.status)).toEqual([204, 204, 204]);
    const limited = statuses.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(limited[0]!.body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    expect(limited[0]!.body.error.message).toMatch(/read receipts/);

    const stomp = await connect(bob);
    stomp.send('/app/chat.read', { conversationId: sent.body.conversationId, seq: 1 });
    await waitFor(() => stomp.errors.some((e) => e.code === 'RATE_LIMITED'), {
      what: 'RATE_LIMITED over STOMP',
    });
  });

  it('given a chatty typist, when over the bucket, then RATE_LIMITED on /user/queue/errors and nothing more is relayed', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const created = await group(ada, [bob]);
    const conversationId = created.body.conversationId as string;
    const bobStomp = await connect(bob);
    const typing: unknown[] = [];
    bobStomp.client.subscribe('/user/queue/typing', (m) => typing.push(JSON.parse(m.body)));
    const adaStomp = await connect(ada);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 6; i++) adaStomp.send('/app/chat.typing', { conversationId });
    await waitFor(() => adaStomp.errors.filter((e) => e.code === 'RATE_LIMITED').length === 4, {
      what: 'four of six typing notices refused',
    });
    await waitFor(() => typing.length === 2, { what: 'the two allowed notices' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(typing).toHaveLength(2);
  });

  it('given a group at its cap, when one more member is added or created, then 409 GROUP_FULL and nothing changes', async () => {
    const [ada, bob, cy, dee] = [
      await register('ada'),
      await register('bob'),
      await register('cy'),
      await register('dee'),
    ];
    expect((await group(ada, [bob, cy, dee])).body.error).toMatchObject({ code: 'GROUP_FULL' });
    const created = await group(ada, [bob]);
    const conversationId = created.body.conversationId as string;
    expect(
      (await call('POST', `/v1/conversations/${conversationId}/members`, ada.token, { userId: cy.userId }))
        .status,
    ).toBeLessThan(300);
    const full = await call('POST', `/v1/conversations/${conversationId}/members`, ada.token, {
      userId: dee.userId,
    });
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe('GROUP_FULL');
    const list = await call('GET', '/v1/conversations', ada.token);
    const listed = list.body.conversations.find(
      (c: { conversationId: string }) => c.conversationId === conversationId,
    );
    expect([...listed.memberIds].sort()).toEqual([ada.userId, bob.userId, cy.userId].sort());
  });

  it('given many conversations, when listed a page at a time, then every one comes once, newest activity first', async () => {
    const ada = await register('ada');
    const partners = await Promise.all(Array.from({ length: 7 }, (_, i) => register(`p${i}`)));
    for (const partner of partners) {
      const answer = await call('POST', '/v1/messages', ada.token, {
        messageId: randomUUID(),
        recipientId: partner.userId,
        text: `hi ${partner.username}`,
      });
      expect(answer.status).toBe(202);
    }
    await waitFor(
      async () =>
        (await call('GET', '/v1/conversations?limit=500', ada.token)).body.conversations.length === 7,
    );
    const seen: { conversationId: string; updatedAt: string }[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call(
        'GET',
        `/v1/conversations?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        ada.token,
      );
      expect(page.status).toBe(200);
      expect(page.body.conversations.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.conversations);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen.map((c) => c.conversationId)).size).toBe(7);
    const times = seen.map((c) => Date.parse(c.updatedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((await call('GET', '/v1/conversations?cursor=bogus', ada.token)).body.error.code).toBe(
      'INVALID_CURSOR',
    );
    expect((await call('GET', '/v1/conversations?limit=501', ada.token)).status).toBe(400);
  });
});
