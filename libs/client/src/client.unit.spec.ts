import { ParleyClient, type InboxEvent } from './client';
import { directConversationId } from './direct-id';
import type { FetchLike } from './http-api';
import { MemoryStorage } from './storage';
import { FakeTransport } from './testing/fake-transport';
import { displayNameOf, UserNames } from './user-names';

const ADA = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const DIRECT = directConversationId(ADA, BOB);
const SESSION = { userId: ADA, username: 'ada', token: 'token-1', expiresAt: '2999-01-01T00:00:00.000Z' };

const message = (n: number, extra: Record<string, unknown> = {}) => ({
  kind: 'message',
  messageId: `msg-${n}`,
  conversationId: DIRECT,
  seq: n * 10,
  senderId: BOB,
  text: `hello ${n}`,
  sentAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  ...extra,
});

/** The server's HTTP side: answers by path, records the calls. */
function fakeHttp(routes: Record<string, unknown> = {}) {
  const calls: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    const path = url.replace('http://parley.test', '');
    calls.push(`${init.method} ${path}`);
    const key = Object.keys(routes).find((prefix) => path.startsWith(prefix));
    const body = key
      ? routes[key]
      : path.startsWith('/v1/conversations')
        ? { conversations: [], messages: [] }
        : {};
    return { status: 200, text: async () => JSON.stringify(body) };
  };
  return { fetch, calls };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('ParleyClient with a fake transport', () => {
  let storage: MemoryStorage;
  let transport: FakeTransport;
  let clients: ParleyClient[];

  const start = async (routes: Record<string, unknown> = {}, options: { random?: () => number } = {}) => {
    const http = fakeHttp(routes);
    const client = new ParleyClient({
      baseUrl: 'http://parley.test',
      storage,
      transport,
      fetch: http.fetch,
      reconnectBackoff: { initialMs: 1_000, maxMs: 8_000 },
      ...options,
    });
    clients.push(client);
    await client.start();
    await settle();
    return { client, http };
  };

  beforeEach(async () => {
    storage = new MemoryStorage();
    await storage.set('session', SESSION);
    transport = new FakeTransport();
    clients = [];
  });
  afterEach(async () => {
    for (const client of clients) await client.close();
    jest.useRealTimers();
  });

  it('given a kept session, when started, then it connects with the token and a device id that survives a restart', async () => {
    const { client } = await start();
    const headers = transport.last.connectHeaders;
    expect(headers.Authorization).toBe('Bearer token-1');
    expect(headers['device-id']).toMatch(/^[0-9a-f-]{36}$/);
    await client.close();
    await start();
    expect(transport.last.connectHeaders['device-id']).toBe(headers['device-id']);
  });

  it('given online, then errors are subscribed first and the inbox with client-individual ACKs', async () => {
    await start();
    transport.last.accept();
    const destinations = [...transport.last.subscriptions.keys()];
    expect(destinations[0]).toBe('/user/queue/errors');
    expect(transport.last.subscriptions.get('/user/queue/messages')?.headers).toEqual({
      ack: 'client-individual',
    });
  });

  it('given items handled, when the connection drops and comes back, then the inbox resumes from the last ACKed position', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    await start({}, { random: () => 1 });
    const first = transport.last;
    first.accept();
    for (const n of [1, 2, 3]) first.pushInbox(n, message(n));
    await settle();
    expect(first.acks).toEqual(['1', '2', '3']);
    first.drop();
    jest.advanceTimersByTime(1_000);
    await settle();
    const second = transport.last;
    expect(second).not.toBe(first);
    second.accept();
    expect(second.subscriptions.get('/user/queue/messages')?.headers).toEqual({
      ack: 'client-individual',
      'from-position': '3',
    });
  });

  it('given an item delivered twice, then the app is told once, and both deliveries are ACKed', async () => {
    const { client } = await start();
    const told: InboxEvent[] = [];
    client.onInbox((event) => void told.push(event));
    transport.last.accept();
    transport.last.pushInbox(1, message(1));
    transport.last.pushInbox(1, message(1));
    await settle();
    expect(told).toHaveLength(1);
    expect(transport.last.acks).toEqual(['1', '1']);
    expect(
      client
        .conversation(DIRECT)
        .view.getSnapshot()
        .messages.map((m) => m.messageId),
    ).toEqual(['msg-1']);
  });

  it('given the app has not finished with an item, then it is not ACKed yet; a listener that throws NACKs it', async () => {
    const { client } = await start();
    let release: () => void = () => undefined;
    client.onInbox((event) =>
      event.kind === 'message' && event.message.messageId === 'msg-1'
        ? new Promise<void>((resolve) => (release = resolve))
        : event.kind === 'message' && event.message.messageId === 'msg-2'
          ? Promise.reject(new Error('app failed'))
          : undefined,
    );
    transport.last.accept();
    transport.last.pushInbox(1, message(1));
    await settle();
    expect(transport.last.acks).toEqual([]);
    release();
    transport.last.pushInbox(2, message(2));
    await settle();
    expect(transport.last.acks).toEqual(['1']);
    expect(transport.last.nacks).toEqual(['2']);
  });

  it('given a restart, then the stored position and seen items carry over: duplicates are dropped after it too', async () => {
    const { client } = await start();
    transport.last.accept();
    transport.last.pushInbox(1, message(1));
    await settle();
    await client.close();
    const { client: again } = await start();
    const told: InboxEvent[] = [];
    again.onInbox((event) => void told.push(event));
    transport.last.accept();
    expect(transport.last.subscriptions.get('/user/queue/messages')?.headers['from-position']).toBe('1');
    transport.last.pushInbox(1, message(1));
    transport.last.pushInbox(2, message(2));
    await settle();
    expect(told.map((e) => (e.kind === 'message' ? e.message.messageId : e.kind))).toEqual(['msg-2']);
  });

  it('given a gap item, then what others sent since the newest handled message is read through history, and the position moves past the gap', async () => {
    const { client, http } = await start({
      '/v1/messages?since=': {
        messages: [message(5), message(6, { senderId: ADA, text: 'my own' }), message(7)],
      },
    });
    const told: string[] = [];
    client.onInbox(
      (event) => void told.push(event.kind === 'message' ? event.message.messageId : event.kind),
    );
    transport.last.accept();
    transport.last.pushInbox(1, message(1));
    transport.last.push(
      '/user/queue/messages',
      { kind: 'gap', fromPosition: 2, toPosition: 40 },
      { 'inbox-position': '40', ack: '40' },
    );
    transport.last.pushInbox(41, message(8));
    await settle();
    expect(http.calls).toContain(
      `GET /v1/messages?since=${encodeURIComponent(message(1).sentAt)}&limit=1000`,
    );
    expect(told).toEqual(['msg-1', 'msg-5', 'msg-7', 'msg-8']);
    transport.last.drop();
    await client.close();
    const { client: _again } = await start();
    transport.last.accept();
    expect(transport.last.subscriptions.get('/user/queue/messages')?.headers['from-position']).toBe('41');
  });

  it('given a send, then it shows as sending, goes out with its messageId, and reaches delivered then read through receipts', async () => {
    const { client } = await start();
    transport.last.accept();
    const sent = await client.send({ recipientId: BOB, text: 'hi bob' });
    const statusOf = () =>
      client
        .conversation(DIRECT)
        .view.getSnapshot()
        .messages.find((m) => m.messageId === sent.messageId)?.status;
    expect(statusOf()).toBe('sending');
    const [frame] = transport.last.bodies('/app/chat.send');
    expect(frame).toEqual(
      expect.objectContaining({ messageId: sent.messageId, recipientId: BOB, text: 'hi bob' }),
    );
    transport.last.receipt(frame!.receipt);
    expect(statusOf()).toBe('sent');
    const receipt = (status: string) => ({
      messageId: sent.messageId,
      conversationId: DIRECT,
      recipientId: BOB,
      status,
      seq: 10,
      at: '2026-01-01T00:00:00.000Z',
    });
    transport.last.push('/user/queue/receipts', receipt('delivered'));
    expect(statusOf()).toBe('delivered');
    transport.last.push('/user/queue/receipts', receipt('read'));
    transport.last.push('/user/queue/receipts', receipt('delivered'));
    expect(statusOf()).toBe('read');
    expect(client.conversation(DIRECT).view.getSnapshot().messages[0]?.seq).toBe(10);
  });

  it('given a refusal that cannot be fixed, then the message is failed with its code and the next one is sent', async () => {
    const { client } = await start();
    transport.last.accept();
    const bad = await client.send({ conversationId: DIRECT, text: 'x'.repeat(4_001) });
    const good = await client.send({ conversationId: DIRECT, text: 'fine' });
    const [first] = transport.last.bodies('/app/chat.send');
    transport.last.refuse({
      code: 'TEXT_TOO_LONG',
      message: 'over 4,000',
      receiptId: first!.receipt,
      messageId: bad.messageId,
    });
    const messages = client.conversation(DIRECT).view.getSnapshot().messages;
    expect(messages.find((m) => m.messageId === bad.messageId)).toEqual(
      expect.objectContaining({
        status: 'failed',
        failure: { code: 'TEXT_TOO_LONG', message: 'over 4,000' },
      }),
    );
    expect(transport.last.bodies('/app/chat.send').map((b) => b.messageId)).toEqual([
      bad.messageId,
      good.messageId,
    ]);
  });

  it('given messages from others, then unread counts them; markRead sends the read and counts what is after it', async () => {
    const { client } = await start();
    transport.last.accept();
    for (const n of [1, 2, 3]) transport.last.pushInbox(n, message(n));
    await settle();
    const summary = () => client.conversations.getSnapshot().find((c) => c.conversationId === DIRECT);
    expect(summary()).toEqual(expect.objectContaining({ unreadCount: 3, kind: 'direct' }));
    expect(summary()?.lastMessage?.messageId).toBe('msg-3');
    client.markRead(DIRECT, 20);
    expect(summary()?.unreadCount).toBe(1);
    expect(transport.last.bodies('/app/chat.read')).toEqual([
      expect.objectContaining({ conversationId: DIRECT, seq: 20 }),
    ]);
  });

  it('given the connection drops, then the state is offline with the next attempt, and it reconnects after the backoff', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    const { client } = await start({}, { random: () => 0 });
    transport.last.accept();
    expect(client.connection.getSnapshot().state).toBe('online');
    transport.last.drop({ message: 'socket closed' });
    const status = client.connection.getSnapshot();
    expect(status).toEqual(expect.objectContaining({ state: 'offline', failures: 1 }));
    expect(status.error?.code).toBe('NETWORK');
    expect(transport.connections).toHaveLength(1);
    jest.advanceTimersByTime(499);
    await settle();
    expect(transport.connections).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(transport.connections).toHaveLength(2);
    expect(client.connection.getSnapshot().state).toBe('connecting');
    transport.last.drop({ beforeConnected: true });
    expect(client.connection.getSnapshot().failures).toBe(2);
    expect(client.connection.getSnapshot().retryAt! - Date.now()).toBe(1_000);
  });

  it('given the server refuses the account, then the state is refused with the code, and no attempt follows', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    const { client } = await start();
    transport.last.drop({
      code: 'ACCOUNT_DISABLED',
      message: 'this account is blocked',
      beforeConnected: true,
    });
    expect(client.connection.getSnapshot()).toEqual(expect.objectContaining({ state: 'refused' }));
    expect(client.connection.getSnapshot().error?.code).toBe('ACCOUNT_DISABLED');
    jest.advanceTimersByTime(60_000);
    await settle();
    expect(transport.connections).toHaveLength(1);
  });

  it('given the browser says the network is gone, when online, then the connection is lost at once; messages written then go out after reconnectNow, in order, once', async () => {
    const { client } = await start({}, { random: () => 0 });
    transport.last.accept();
    client.connectionLost();
    expect(client.connection.getSnapshot().state).toBe('offline');
    expect(transport.connections[0]!.ended).toBe(true);
    const written = [];
    for (const text of ['one', 'two', 'three']) written.push(await client.send({ recipientId: BOB, text }));
    expect(
      client
        .conversation(DIRECT)
        .view.getSnapshot()
        .messages.map((m) => m.status),
    ).toEqual(['sending', 'sending', 'sending']);
    client.reconnectNow();
    await settle();
    expect(transport.connections).toHaveLength(2);
    transport.last.accept();
    await settle();
    // One in flight per conversation: each RECEIPT lets the next one go.
    for (let i = 0; i < 3; i++) {
      const frames = transport.last.bodies('/app/chat.send');
      transport.last.receipt(frames[frames.length - 1]!.receipt);
      await settle();
    }
    expect(transport.last.bodies('/app/chat.send').map((b) => b.text)).toEqual(['one', 'two', 'three']);
    expect(client.outbox.getSnapshot()).toEqual([]);
  });

  it('given a watched group, when the user is removed (SUBSCRIPTION_ENDED on its feed), then it leaves the list and its view says removed', async () => {
    const group = {
      conversationId: 'group-1',
      kind: 'group',
      title: 'Trip',
      memberIds: [ADA, BOB],
      unreadCount: 0,
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    const { client } = await start({ '/v1/conversations?': { conversations: [group] } });
    transport.last.accept();
    await settle();
    expect(client.conversations.getSnapshot().map((c) => c.conversationId)).toEqual(['group-1']);
    const stopFirst = client.conversation('group-1').watch();
    expect(transport.last.subscriptions.has('/topic/conversation.group-1')).toBe(true);
    stopFirst();
    expect(transport.last.subscriptions.has('/topic/conversation.group-1')).toBe(false);
    client.conversation('group-1').watch();
    transport.last.refuse({
      code: 'SUBSCRIPTION_ENDED',
      message: 'no longer a member',
      subscription: 'sub-9',
      destination: '/topic/conversation.group-1',
    });
    expect(client.conversations.getSnapshot()).toEqual([]);
    expect(client.conversation('group-1').view.getSnapshot().removed).toBe(true);
  });

  it('given a message in a conversation the list does not hold, then the list is read again (for its title and members)', async () => {
    const { client, http } = await start();
    transport.last.accept();
    await settle();
    const before = http.calls.filter((c) => c.startsWith('GET /v1/conversations?')).length;
    transport.last.pushInbox(1, message(1, { conversationId: 'group-2' }));
    await settle();
    expect(http.calls.filter((c) => c.startsWith('GET /v1/conversations?')).length).toBe(before + 1);
    expect(client.conversations.getSnapshot()[0]).toEqual(
      expect.objectContaining({ conversationId: 'group-2', kind: 'group', unreadCount: 1 }),
    );
  });

  it('given someone typing, when their message arrives, then they no longer show as typing', async () => {
    const { client } = await start();
    transport.last.accept();
    transport.last.push('/user/queue/typing', { conversationId: DIRECT, userId: BOB });
    expect(Object.keys(client.typing.getSnapshot()[DIRECT] ?? {})).toEqual([BOB]);
    transport.last.pushInbox(1, message(1));
    await settle();
    expect(client.typing.getSnapshot()[DIRECT]).toBeUndefined();
  });

  it('looks a user up by username', async () => {
    const { client, http } = await start({
      '/v1/users?username=': { userId: BOB, username: 'bob', displayName: 'Bob' },
    });
    expect(await client.http.findUser('bob')).toEqual({ userId: BOB, username: 'bob', displayName: 'Bob' });
    expect(http.calls).toContain('GET /v1/users?username=bob');
  });

  it('given ids of senders and members, then their names are looked up once each and kept until sign-out; a deleted user is asked once, a failed lookup again', async () => {
    const CY = '00000000-0000-4000-8000-00000000000c';
    const GONE = '00000000-0000-4000-8000-0000000000ff';
    const calls: string[] = [];
    let offline = true;
    const fetch: FetchLike = async (url, init) => {
      const path = url.replace('http://parley.test', '');
      calls.push(`${init.method} ${path}`);
      const answer = (status: number, body: unknown) => ({ status, text: async () => JSON.stringify(body) });
      if (path === `/v1/users/${BOB}`)
        return answer(200, { userId: BOB, username: 'bob', displayName: 'Bob' });
      if (path === `/v1/users/${CY}`) {
        if (offline) throw new Error('offline');
        return answer(200, { userId: CY, username: 'cy' });
      }
      if (path.startsWith('/v1/users/')) return answer(404, { error: { code: 'NOT_FOUND', message: 'no' } });
      return answer(200, path.startsWith('/v1/conversations') ? { conversations: [] } : {});
    };
    const client = new ParleyClient({ baseUrl: 'http://parley.test', storage, transport, fetch });
    clients.push(client);
    await client.start();
    await settle();

    client.needUsers([BOB, CY, GONE, BOB]);
    await settle();
    expect(client.users.getSnapshot()).toEqual({
      [BOB]: { userId: BOB, username: 'bob', displayName: 'Bob' },
    });
    const names = (ids: string[]) => ids.map((id) => displayNameOf(client.users.getSnapshot(), id));
    expect(names([BOB, CY, GONE])).toEqual(['Bob', 'User 00000000', 'User 00000000']);

    // Bob is known and the deleted user answered 404: only Cy, whose lookup failed, is asked again.
    offline = false;
    client.needUsers([BOB, CY, GONE]);
    await settle();
    expect(names([BOB, CY])).toEqual(['Bob', '@cy']);
    expect(calls.filter((call) => call.startsWith('GET /v1/users/')).sort()).toEqual(
      [`GET /v1/users/${BOB}`, `GET /v1/users/${CY}`, `GET /v1/users/${CY}`, `GET /v1/users/${GONE}`].sort(),
    );

    // The next user of this client does not see whom the last one knew.
    await client.signOut();
    expect(client.users.getSnapshot()).toEqual({});
  });

  it('given many unknown members, then at most four lookups are out at once', async () => {
    let inFlight = 0;
    let most = 0;
    const names = new UserNames(async (userId) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return { userId, username: `u${userId}` };
    });
    names.need(Array.from({ length: 20 }, (_, i) => String(i)));
    await settle();
    expect(Object.keys(names.users.getSnapshot())).toHaveLength(20);
    expect(most).toBe(4);
  });

  it('given edits in the inbox, then the message shows the latest text and editedAt, the app is told each once, and all are ACKed', async () => {
    const { kind: _kind, ...unedited } = message(1);
    const { client } = await start({ [`/v1/conversations/${DIRECT}/messages`]: { messages: [unedited] } });
    const told: InboxEvent[] = [];
    client.onInbox((event) => void told.push(event));
    transport.last.accept();
    transport.last.pushInbox(1, message(1));
    const edited = (editId: string, text: string, second: number) => ({
      kind: 'edited',
      messageId: 'msg-1',
      conversationId: DIRECT,
      editId,
      text,
      editedAt: new Date(Date.UTC(2026, 0, 1, 0, 1, second)).toISOString(),
    });
    transport.last.pushInbox(2, edited('e1', 'hello, edited', 0));
    transport.last.pushInbox(3, edited('e2', 'hello, edited twice', 5));
    // A redelivery of the first edit after the second: told no more, and it does not undo the second.
    transport.last.pushInbox(2, edited('e1', 'hello, edited', 0));
    await settle();
    const [shown] = client.conversation(DIRECT).view.getSnapshot().messages;
    expect(shown).toMatchObject({ text: 'hello, edited twice', editedAt: '2026-01-01T00:01:05.000Z' });
    expect(client.conversations.getSnapshot()[0]!.lastMessage).toMatchObject({ text: 'hello, edited twice' });
    expect(told.map((e) => e.kind)).toEqual(['message', 'edited', 'edited']);
    expect(told[2]).toEqual({ ...edited('e2', 'hello, edited twice', 5) });
    expect(transport.last.acks).toEqual(['1', '2', '3', '2']);

    // A history page read before the edits showed there does not undo them.
    await client.conversation(DIRECT).refresh();
    expect(client.conversation(DIRECT).view.getSnapshot().messages).toEqual([
      expect.objectContaining({
        messageId: 'msg-1',
        text: 'hello, edited twice',
        editedAt: '2026-01-01T00:01:05.000Z',
      }),
    ]);
  });

  it('given editMessage, when no answer comes at first, then it tries again with the same editId and shows the edit once recorded', async () => {
    const bodies: Record<string, unknown>[] = [];
    let failures = 1;
    const fetch: FetchLike = async (url, init) => {
      const path = url.replace('http://parley.test', '');
      if (init.method === 'PATCH' && path === '/v1/messages/mine') {
        bodies.push(JSON.parse(init.body ?? '{}') as Record<string, unknown>);
        if (failures-- > 0) throw new Error('connection reset');
        const answer = {
          messageId: 'mine',
          conversationId: DIRECT,
          editId: bodies[0]!.editId,
          editedAt: '2026-01-01T00:02:00.000Z',
        };
        return { status: 200, text: async () => JSON.stringify(answer) };
      }
      if (path.startsWith(`/v1/conversations/${DIRECT}/messages`)) {
        const page = {
          messages: [{ ...message(1), messageId: 'mine', senderId: ADA, text: 'tpyo', status: 'read' }],
        };
        return { status: 200, text: async () => JSON.stringify(page) };
      }
      return { status: 200, text: async () => JSON.stringify({ conversations: [] }) };
    };
    const client = new ParleyClient({
      baseUrl: 'http://parley.test',
      storage,
      transport,
      fetch,
      random: () => 0,
    });
    clients.push(client);
    await client.start();
    await client.conversation(DIRECT).refresh();

    const answer = await client.editMessage(DIRECT, 'mine', 'typo');
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toEqual({ text: 'typo', editId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(answer).toMatchObject({ editId: bodies[0]!.editId, editedAt: '2026-01-01T00:02:00.000Z' });
    expect(client.conversation(DIRECT).view.getSnapshot().messages[0]).toMatchObject({
      messageId: 'mine',
      text: 'typo',
      editedAt: '2026-01-01T00:02:00.000Z',
      own: true,
    });
  });

  it('given editMessage refused (the window closed), then it rejects with the code at once and the text stays', async () => {
    let calls = 0;
    const fetch: FetchLike = async (url, init) => {
      if (init.method === 'PATCH') {
        calls += 1;
        const error = {
          error: {
            code: 'EDIT_WINDOW_CLOSED',
            message: 'a message can be edited up to 24 h after it was sent',
          },
        };
        return { status: 409, text: async () => JSON.stringify(error) };
      }
      return { status: 200, text: async () => JSON.stringify({ conversations: [], messages: [] }) };
    };
    const client = new ParleyClient({ baseUrl: 'http://parley.test', storage, transport, fetch });
    clients.push(client);
    await client.start();
    await expect(client.editMessage(DIRECT, 'old', 'late')).rejects.toMatchObject({
      code: 'EDIT_WINDOW_CLOSED',
      status: 409,
    });
    expect(calls).toBe(1);
  });

  it('given history answers 404, then a group the list held is forgotten, and a direct chat without messages yet is not', async () => {
    const group = {
      conversationId: 'group-1',
      kind: 'group',
      title: 'Trip',
      memberIds: [ADA, BOB],
      unreadCount: 0,
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    const notFound: FetchLike = async (url) => {
      if (url.includes('/messages'))
        return {
          status: 404,
          text: async () => JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no' } }),
        };
      return { status: 200, text: async () => JSON.stringify({ conversations: [group] }) };
    };
    const client = new ParleyClient({ baseUrl: 'http://parley.test', storage, transport, fetch: notFound });
    clients.push(client);
    await client.start();
    transport.last.accept();
    await settle();
    await expect(client.conversation(DIRECT).refresh()).rejects.toThrow();
    expect(client.conversation(DIRECT).view.getSnapshot().removed).toBeUndefined();
    await expect(client.conversation('group-1').refresh()).rejects.toThrow();
    expect(client.conversation('group-1').view.getSnapshot().removed).toBe(true);
    expect(client.conversations.getSnapshot()).toEqual([]);
  });
});
