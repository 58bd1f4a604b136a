import { randomUUID } from 'node:crypto';
import { directConversationId } from '@parley/domain';
import type { ParleyEvent } from '@parley/events';
import { KafkaAdmin, readTopic } from '@parley/kafka';
import { randomName } from '@parley/testing';
import { gatewayClients, type TestUser } from '../test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

describe('messaging over STOMP and HTTP (PROTOCOL §§2-3)', () => {
  let fixture: GatewayFixture;
  const adminName = randomName('admin').toLowerCase().slice(0, 24);
  const { call, register, connect, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);

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

  const sentEventsOf = async (messageId: string) =>
    (await eventsOn('chat.messages')).filter((e) => e.type === 'MessageSent' && e.messageId === messageId);

  const createGroup = async (owner: TestUser, members: TestUser[], title = 'Team') => {
    const answer = await call('POST', '/v1/conversations', owner.token, {
      title,
      memberIds: members.map((m) => m.userId),
    });
    expect(answer.status).toBe(201);
    return answer.body.conversationId as string;
  };

  const history = async (user: TestUser, conversationId: string, query = '') =>
    call('GET', `/v1/conversations/${conversationId}/messages${query}`, user.token);

  beforeAll(async () => {
    fixture = await startGatewayFixture('messaging', {
      sendLimit: { capacity: 25, refillPerSecond: 2 },
      adminUsernames: [adminName],
      // Statuses here are those of the messaging core alone (no delivery worker: no pending).
      delivery: false,
    });
  });

  afterEach(() => closeAll());

  afterAll(() => fixture.dispose());

  it('sends a first direct message over STOMP: RECEIPT once recorded, the conversation created with its derived id', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const stomp = await connect(ada);
    const messageId = randomUUID();
    await stomp.sendWithReceipt('/app/chat.send', { messageId, recipientId: bob.userId, text: 'Hello Bob' });

    // The RECEIPT came after Kafka had the event: it is on the topic, keyed by the conversation.
    const conversationId = directConversationId(ada.userId, bob.userId);
    expect(await sentEventsOf(messageId)).toEqual([
      expect.objectContaining({
        conversationId,
        senderId: ada.userId,
        recipientId: bob.userId,
        text: 'Hello Bob',
      }),
    ]);
    const created = (await eventsOn('chat.conversations')).filter(
      (e) => e.type === 'ConversationCreated' && e.conversationId === conversationId,
    );
    expect(created).toEqual([
      expect.objectContaining({ kind: 'DIRECT', title: null, memberIds: [ada.userId, bob.userId].sort() }),
    ]);

    // Both sides see the conversation; Bob has one unread message.
    const bobs = await waitFor(async () => {
      const list = await call('GET', '/v1/conversations', bob.token);
      return list.body.conversations.find((c: any) => c.lastMessage?.messageId === messageId);
    });
    expect(bobs).toMatchObject({
      conversationId,
      kind: 'direct',
      createdBy: ada.userId,
      memberIds: expect.arrayContaining([ada.userId, bob.userId]),
      unreadCount: 1,
      lastMessage: { messageId, senderId: ada.userId, text: 'Hello Bob', seq: expect.any(Number) },
    });
    expect(bobs.title).toBeUndefined();
    const adas = (await call('GET', '/v1/conversations', ada.token)).body.conversations;
    expect(adas).toEqual([expect.objectContaining({ conversationId, unreadCount: 0 })]);
    expect(adas[0].lastMessage.status).toBe('sent');
  });

  it('sends over HTTP with 202 and the PROTOCOL answer; a repeated messageId returns the same answer and creates nothing', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const messageId = randomUUID();
    const first = await call('POST', '/v1/messages', ada.token, {
      messageId,
      recipientId: bob.userId,
      text: 'once',
    });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      messageId,
      conversationId: directConversationId(ada.userId, bob.userId),
      status: 'sent',
      sentAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });

    // Again over HTTP (even with other text), concurrently, and over STOMP: the first answer each time.
    const again = await Promise.all(
      [1, 2, 3].map(() =>
        call('POST', '/v1/messages', ada.token, { messageId, recipientId: bob.userId, text: 'twice' }),
      ),
    );
    for (const answer of again) expect(answer).toEqual(first);
    const stomp = await connect(ada);
    await stomp.sendWithReceipt('/app/chat.send', { messageId, recipientId: bob.userId, text: 'thrice' });

    // Someone else's messageId is refused.
    const mallory = await register('mal');
    const stolen = await call('POST', '/v1/messages', mallory.token, {
      messageId,
      recipientId: bob.userId,
      text: 'x',
    });
    expect(stolen.status).toBe(409);
    expect(stolen.body.error.code).toBe('MESSAGE_ID_TAKEN');

    expect(await sentEventsOf(messageId)).toHaveLength(1);
    const page = await waitFor(async () => {
      const answer = await history(bob, first.body.conversationId);
      return answer.body.messages?.length ? answer : undefined;
    });
    expect(page.body.messages).toEqual([expect.objectContaining({ messageId, text: 'once' })]);
  });

  it('keeps concurrent duplicates of a fresh messageId to one event', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const conversationId = await createGroup(ada, [bob]);
    const messageId = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        call('POST', '/v1/messages', ada.token, { messageId, conversationId, text: 'race' }),
      ),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(new Set([JSON.stringify(answers[0])]));
    expect(answers[0]!.status).toBe(202);
    expect(await sentEventsOf(messageId)).toHaveLength(1);
  });

  it('keeps a messageId sent to two gateway nodes at once to one event (the claim is in PostgreSQL)', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const conversationId = await createGroup(ada, [bob]);
    const other = await fixture.startNode();
    const viaOther = async (body: unknown) => {
      const response = await fetch(`http://127.0.0.1:${other.port}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ada.token}` },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    for (let round = 0; round < 5; round++) {
      const messageId = randomUUID();
      const body = { messageId, conversationId, text: `both ${round}` };
      const answers = await Promise.all([call('POST', '/v1/messages', ada.token, body), viaOther(body)]);
      expect(answers[1]).toEqual(answers[0]);
      expect(await sentEventsOf(messageId)).toHaveLength(1);
    }
  });

  it('refuses non-members: 404 over HTTP, NOT_FOUND on /user/queue/errors without a RECEIPT, and the connection stays', async () => {
    const [ada, bob, eve] = [await register('ada'), await register('bob'), await register('eve')];
    const conversationId = await createGroup(ada, [bob]);
    const messageId = randomUUID();

    const http = await call('POST', '/v1/messages', eve.token, {
      messageId,
      conversationId,
      text: 'let me in',
    });
    expect(http.status).toBe(404);
    expect(http.body.error).toEqual({
      code: 'NOT_FOUND',
      message: `conversation ${conversationId} not found`,
    });
    expect((await history(eve, conversationId)).status).toBe(404);
    expect((await history(eve, randomUUID())).status).toBe(404);

    const stomp = await connect(eve);
    await expect(
      stomp.sendWithReceipt('/app/chat.send', { messageId, conversationId, text: 'let me in' }, 1_500),
    ).rejects.toThrow(/no RECEIPT/);
    expect(stomp.errors).toEqual([
      expect.objectContaining({ code: 'NOT_FOUND', messageId, receiptId: expect.any(String) }),
    ]);
    expect(stomp.client.connected).toBe(true);

    // The refused messageId stays free: a member may use it.
    await call('POST', '/v1/messages', ada.token, { messageId, conversationId, text: 'mine now' });
    expect(await sentEventsOf(messageId)).toEqual([expect.objectContaining({ senderId: ada.userId })]);
  });

  it.each([
    ['empty text', { text: '' }, 'INVALID_TEXT'],
    ['text over 4,000 characters', { text: 'x'.repeat(4_001) }, 'TEXT_TOO_LONG'],
    ['no target', { conversationId: undefined }, 'INVALID_TARGET'],
    ['a bad messageId', { messageId: 'has spaces' }, 'INVALID_ID'],
  ])('refuses %s with a clear error and records nothing', async (_what, change, code) => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const conversationId = await createGroup(ada, [bob]);
    const body = { messageId: randomUUID(), conversationId, text: 'ok', ...change };
    const http = await call('POST', '/v1/messages', ada.token, body);
    expect(http.status).toBe(400);
    expect(http.body.error.code).toBe(code);
    const stomp = await connect(ada);
    stomp.send('/app/chat.send', body);
    await waitFor(() => stomp.errors.length > 0, { what: 'the refusal' });
    expect(stomp.errors[0]).toMatchObject({ code });
    expect(stomp.client.connected).toBe(true);

    // Both refusals were answered, so a record of either would be on the topic by now.
    const adasEvents = (await eventsOn('chat.messages')).filter(
      (e) =>
        (e.type === 'MessageSent' && e.senderId === ada.userId) || JSON.stringify(e).includes(conversationId),
    );
    expect(adasEvents).toEqual([]);
    // And the messageId stays free: the same one, sent right, is recorded once (an id that was itself
    // the fault is replaced by a good one).
    const messageId = code === 'INVALID_ID' ? randomUUID() : body.messageId;
    const fixed = await call('POST', '/v1/messages', ada.token, { messageId, conversationId, text: 'ok' });
    expect(fixed.status).toBe(202);
    expect(await sentEventsOf(messageId)).toEqual([expect.objectContaining({ text: 'ok', conversationId })]);
  });

  it('accepts exactly 4,000 characters (emoji count once) and refuses a SEND body that is not JSON', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const stomp = await connect(ada);
    const text = '😀'.repeat(4_000);
    await stomp.sendWithReceipt('/app/chat.send', { messageId: randomUUID(), recipientId: bob.userId, text });
    stomp.send('/app/chat.send', '{"messageId": oops');
    stomp.send('/app/chat.nothing', {});
    await waitFor(() => stomp.errors.length >= 2, { what: 'two refusals' });
    expect(stomp.errors.map((e) => e.code)).toEqual(['MALFORMED_JSON', 'UNKNOWN_DESTINATION']);
  });

  it('limits each user’s send rate: 429 over HTTP, RATE_LIMITED on the errors queue', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const conversationId = await createGroup(ada, [bob]);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call('POST', '/v1/messages', ada.token, { messageId: randomUUID(), conversationId, text: `m${i}` }),
      ),
    );
    // The burst of 25, plus what the bucket refilled (2 a second) while a busy machine served the 40.
    const refilled = Math.floor((2 * (Date.now() - started)) / 1000);
    const accepted = answers.filter((a) => a.status === 202).length;
    const limited = answers.filter((a) => a.status === 429);
    expect(accepted).toBeGreaterThanOrEqual(25);
    expect(accepted).toBeLessThanOrEqual(25 + refilled);
    expect(limited).toHaveLength(40 - accepted);
    expect(limited[0]!.body.error).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/try again/),
    });

    // Ten in a row: the bucket refills 2 a second, so only a connect of 5 s could let all of them through.
    const stomp = await connect(ada);
    for (let i = 0; i < 10; i++)
      stomp.send('/app/chat.send', { messageId: randomUUID(), conversationId, text: `more ${i}` });
    await waitFor(() => stomp.errors.length > 0);
    expect(stomp.errors[0]).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    // Bob's bucket is his own.
    expect(
      (await call('POST', '/v1/messages', bob.token, { messageId: randomUUID(), conversationId, text: 'hi' }))
        .status,
    ).toBe(202);
  });

  it('creates groups, adds and removes members; only the creator removes others; direct conversations do not change', async () => {
    const [ada, bob, cy, dee] = [
      await register('ada'),
      await register('bob'),
      await register('cy'),
      await register('dee'),
    ];
    const conversationId = await createGroup(ada, [bob], 'Book club');

    expect(
      (await call('POST', `/v1/conversations/${conversationId}/members`, bob.token, { userId: cy.userId }))
        .status,
    ).toBe(204);
    const list = (await call('GET', '/v1/conversations', cy.token)).body.conversations;
    expect(list).toEqual([
      expect.objectContaining({
        conversationId,
        kind: 'group',
        title: 'Book club',
        // A member added later (by another member) sees who created the group: who removes others.
        createdBy: ada.userId,
        memberIds: expect.arrayContaining([ada.userId, bob.userId, cy.userId]),
        unreadCount: 0,
      }),
    ]);

    const notOwner = await call(
      'DELETE',
      `/v1/conversations/${conversationId}/members/${cy.userId}`,
      bob.token,
    );
    expect(notOwner.status).toBe(403);
    expect(notOwner.body.error.code).toBe('NOT_GROUP_OWNER');
    expect(
      (await call('DELETE', `/v1/conversations/${conversationId}/members/${cy.userId}`, ada.token)).status,
    ).toBe(204);
    expect(
      (await call('DELETE', `/v1/conversations/${conversationId}/members/${bob.userId}`, bob.token)).status,
    ).toBe(204);
    expect((await history(bob, conversationId)).status).toBe(404);
    expect((await history(cy, conversationId)).status).toBe(404);
    expect((await history(ada, conversationId)).status).toBe(200);

    // Outsiders cannot add anybody; unknown users cannot be added; a direct conversation stays as it is.
    expect(
      (await call('POST', `/v1/conversations/${conversationId}/members`, dee.token, { userId: dee.userId }))
        .status,
    ).toBe(404);
    const unknown = await call('POST', `/v1/conversations/${conversationId}/members`, ada.token, {
      userId: randomUUID(),
    });
    expect(unknown.status).toBe(404);
    await call('POST', '/v1/messages', ada.token, {
      messageId: randomUUID(),
      recipientId: dee.userId,
      text: 'hi',
    });
    const direct = directConversationId(ada.userId, dee.userId);
    const changeDirect = await call('POST', `/v1/conversations/${direct}/members`, ada.token, {
      userId: bob.userId,
    });
    expect(changeDirect.status).toBe(400);
    expect(changeDirect.body.error.code).toBe('NOT_A_GROUP');

    const bad = await call('POST', '/v1/conversations', ada.token, { title: '', memberIds: [] });
    expect(bad.body.error.code).toBe('INVALID_TITLE');
    const ghost = await call('POST', '/v1/conversations', ada.token, {
      title: 'x',
      memberIds: [randomUUID()],
    });
    expect(ghost.status).toBe(404);
  });

  it('pages history by seq in both directions and lists messages since a time across conversations', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const group = await createGroup(ada, [bob]);
    const before = new Date(Date.now() - 1).toISOString();
    const stomp = await connect(ada);
    for (let i = 0; i < 7; i++)
      await stomp.sendWithReceipt('/app/chat.send', {
        messageId: `page-${i}-${randomUUID()}`,
        conversationId: group,
        text: `m${i}`,
      });
    await stomp.sendWithReceipt('/app/chat.send', {
      messageId: randomUUID(),
      recipientId: bob.userId,
      text: 'direct',
    });

    await waitFor(async () => (await history(bob, group)).body.messages.length === 7, {
      what: '7 messages projected',
    });
    const newest = (await history(bob, group, '?limit=3')).body;
    expect(newest.messages.map((m: any) => m.text)).toEqual(['m4', 'm5', 'm6']);
    const seqs = newest.messages.map((m: any) => m.seq as number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const older = (await history(bob, group, `?limit=3&beforeSeq=${newest.nextCursor}`)).body;
    expect(older.messages.map((m: any) => m.text)).toEqual(['m1', 'm2', 'm3']);
    const oldest = (await history(bob, group, `?limit=3&beforeSeq=${older.nextCursor}`)).body;
    expect(oldest.messages.map((m: any) => m.text)).toEqual(['m0']);
    expect(oldest.nextCursor).toBeUndefined();
    const forward = (await history(bob, group, `?limit=4&afterSeq=${oldest.messages[0].seq}`)).body;
    expect(forward.messages.map((m: any) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect((await history(bob, group, '?limit=201')).body.error.code).toBe('INVALID_LIMIT');
    expect((await history(bob, group, '?beforeSeq=1&afterSeq=2')).status).toBe(400);

    await waitFor(
      async () => (await call('GET', '/v1/conversations', bob.token)).body.conversations.length === 2,
    );
    const since = await call('GET', `/v1/messages?since=${encodeURIComponent(before)}`, bob.token);
    expect(since.body.messages.map((m: any) => m.text)).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
      'm4',
      'm5',
      'm6',
      'direct',
    ]);
    const paged = await call('GET', `/v1/messages?since=${encodeURIComponent(before)}&limit=5`, bob.token);
    expect(paged.body.messages).toHaveLength(5);
    const rest = await call(
      'GET',
      `/v1/messages?since=${encodeURIComponent(before)}&cursor=${paged.body.nextCursor}`,
      bob.token,
    );
    expect(rest.body.messages.map((m: any) => m.text)).toEqual(['m5', 'm6', 'direct']);
    expect((await call('GET', '/v1/messages?since=yesterday', bob.token)).body.error.code).toBe(
      'INVALID_TIME',
    );
    const outsider = await register('out');
    expect(
      (await call('GET', `/v1/messages?since=${encodeURIComponent(before)}`, outsider.token)).body.messages,
    ).toEqual([]);
  });

  it('reads up to a seq (STOMP and PATCH): unread counts drop and the sender sees read', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const group = await createGroup(ada, [bob]);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, messageId] of ids.entries())
      await call('POST', '/v1/messages', ada.token, { messageId, conversationId: group, text: `r${i}` });
    const unread = async () =>
      (await call('GET', '/v1/conversations', bob.token)).body.conversations.find(
        (c: any) => c.conversationId === group,
      )?.unreadCount as number | undefined;
    await waitFor(async () => (await unread()) === 3, { what: 'three unread' });

    const messages = (await history(bob, group)).body.messages;
    const stomp = await connect(bob);
    await stomp.sendWithReceipt('/app/chat.read', { conversationId: group, seq: messages[1].seq });
    await waitFor(async () => (await unread()) === 1, { what: 'one unread' });
    const seen = (await history(ada, group)).body.messages.map((m: any) => m.status);
    expect(seen).toEqual(['read', 'read', 'sent']);

    expect((await call('PATCH', `/v1/messages/${ids[2]}/status`, bob.token, { status: 'read' })).status).toBe(
      204,
    );
    await waitFor(async () => (await unread()) === 0, { what: 'none unread' });

    // A seq far in the future marks nothing that is sent later.
    await stomp.sendWithReceipt('/app/chat.read', { conversationId: group, seq: 9_000_000_000 });
    await call('POST', '/v1/messages', ada.token, {
      messageId: randomUUID(),
      conversationId: group,
      text: 'later',
    });
    await waitFor(async () => (await unread()) === 1, { what: 'the later message unread' });

    const eve = await register('eve');
    const outsider = await connect(eve);
    outsider.send('/app/chat.read', { conversationId: group, seq: 1 });
    await waitFor(() => outsider.errors.length > 0);
    expect(outsider.errors[0]).toMatchObject({ code: 'NOT_FOUND' });
    expect((await call('PATCH', `/v1/messages/${ids[0]}/status`, eve.token, { status: 'read' })).status).toBe(
      404,
    );
    expect((await call('PATCH', `/v1/messages/${ids[0]}/status`, bob.token, { status: 'seen' })).status).toBe(
      400,
    );
  });

  it('acts on a message the moment its send is answered (its claim not yet marked sent): the recipient reads it, its sender deletes it, an outsider gets 404', async () => {
    const [ada, bob, eve] = [await register('ada'), await register('bob'), await register('eve')];
    const group = await createGroup(ada, [bob]);
    const [first, second] = [randomUUID(), randomUUID()];
    const send = (messageId: string) =>
      call('POST', '/v1/messages', ada.token, { messageId, conversationId: group, text: messageId });
    expect((await send(first)).status).toBe(202);
    const [read, outsider] = await Promise.all([
      call('PATCH', `/v1/messages/${first}/status`, bob.token, { status: 'read' }),
      call('PATCH', `/v1/messages/${first}/status`, eve.token, { status: 'read' }),
    ]);
    expect([read.status, outsider.status]).toEqual([204, 404]);
    expect((await send(second)).status).toBe(202);
    const deleted = await call('PATCH', `/v1/messages/${second}/status`, ada.token, {
      status: 'deleted_for_everybody',
    });
    expect(deleted.status).toBe(204);
    await waitFor(
      async () => {
        const messages = (await history(ada, group)).body.messages;
        return messages.length === 2 && messages[0].status === 'read' && messages[1].deleted === true;
      },
      { what: 'the first read, the second deleted for everybody' },
    );
  });

  it('deletes for me and for everybody; only the sender deletes for everybody', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const group = await createGroup(ada, [bob]);
    const [mine, hers] = [randomUUID(), randomUUID()];
    await call('POST', '/v1/messages', ada.token, { messageId: mine, conversationId: group, text: 'secret' });
    await call('POST', '/v1/messages', ada.token, { messageId: hers, conversationId: group, text: 'keep' });
    await waitFor(async () => (await history(bob, group)).body.messages.length === 2);

    const bobStomp = await connect(bob);
    bobStomp.send('/app/chat.delete', { messageId: mine, scope: 'everyone' });
    await waitFor(() => bobStomp.errors.length > 0);
    expect(bobStomp.errors[0]).toMatchObject({ code: 'NOT_SENDER', messageId: mine });
    const forbidden = await call('PATCH', `/v1/messages/${mine}/status`, bob.token, {
      status: 'deleted_for_everybody',
    });
    expect(forbidden.status).toBe(403);

    await bobStomp.sendWithReceipt('/app/chat.delete', { messageId: hers, scope: 'me' });
    expect(
      (await call('PATCH', `/v1/messages/${mine}/status`, ada.token, { status: 'deleted_for_everybody' }))
        .status,
    ).toBe(204);

    await waitFor(
      async () => {
        const messages = (await history(bob, group)).body.messages;
        return messages.length === 1 && messages[0].deleted === true;
      },
      { what: 'hidden for Bob, deleted for everybody' },
    );
    expect((await history(bob, group)).body.messages).toEqual([
      expect.objectContaining({ messageId: mine, text: '', deleted: true }),
    ]);
    const adas = (await history(ada, group)).body.messages;
    expect(adas.map((m: any) => [m.messageId, m.text, m.deleted])).toEqual([
      [mine, '', true],
      [hers, 'keep', undefined],
    ]);
    // Hidden for Bob means gone for Bob: he cannot act on it any more.
    expect((await call('PATCH', `/v1/messages/${hers}/status`, bob.token, { status: 'read' })).status).toBe(
      404,
    );
  });

  it('lets an admin block an account: its open sessions end, it cannot log in, connect or call; reactivation restores it', async () => {
    // A name configured as an admin's cannot be registered: the admin's account is registered on a
    // node where it is not configured, as a deployment does before configuring ADMIN_USERNAMES.
    const plainNode = await fixture.startNode({ adminUsernames: [] });
    const plain = gatewayClients(() => `http://127.0.0.1:${plainNode.port}`);
    const admin = await plain.call('POST', '/v1/auth/register', undefined, {
      username: adminName,
      password: 'password-1',
    });
    const adminToken = admin.body.token as string;
    const bob = await register('bob');
    const stomp = await connect(bob);

    const notAdmin = await call('PUT', `/v1/admin/users/${bob.userId}/status`, bob.token, {
      status: 'blocked',
    });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body.error.code).toBe('FORBIDDEN');

    const blocked = await call('PUT', `/v1/admin/users/${bob.userId}/status`, adminToken, {
      status: 'blocked',
      reason: 'spam',
    });
    expect(blocked).toEqual({ status: 200, body: { userId: bob.userId, status: 'blocked' } });
    const error = await stomp.closed;
    expect(error?.headers.message).toBe('ACCOUNT_DISABLED');

    expect((await call('GET', '/v1/users/me', bob.token)).status).toBe(401);
    const login = await call('POST', '/v1/auth/login', undefined, {
      username: bob.username,
      password: 'password-1',
    });
    expect(login.status).toBe(401);
    expect(login.body.error.code).toBe('ACCOUNT_DISABLED');
    await expect(connect(bob)).rejects.toThrow(/ACCOUNT_DISABLED/);
    const ada = await register('ada');
    const toBlocked = await call('POST', '/v1/conversations', ada.token, {
      title: 't',
      memberIds: [bob.userId],
    });
    expect(toBlocked.status).toBe(201);

    expect(
      (await call('PUT', `/v1/admin/users/${randomUUID()}/status`, adminToken, { status: 'blocked' })).status,
    ).toBe(404);
    expect(
      (await call('PUT', `/v1/admin/users/${bob.userId}/status`, adminToken, { status: 'gone' })).status,
    ).toBe(400);
    await call('PUT', `/v1/admin/users/${bob.userId}/status`, adminToken, { status: 'active' });
    expect((await call('GET', '/v1/users/me', bob.token)).status).toBe(200);
    const users = (await eventsOn('chat.users')).filter(
      (e) => e.type === 'UserStatusChanged' && e.userId === bob.userId,
    );
    expect(users).toEqual([
      expect.objectContaining({ status: 'BLOCKED', reason: 'spam' }),
      expect.objectContaining({ status: 'ACTIVE', reason: null }),
    ]);
  });
});
