import { randomUUID } from 'node:crypto';
import { directConversationId } from '@parley/domain';
import { KafkaAdmin, readTopic } from '@parley/kafka';
import { gatewayClients, subscribeInbox, type TestStompClient, type TestUser } from '../test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

describe('delivery to devices: inboxes, ACKs, replay (PROTOCOL §3)', () => {
  let fixture: GatewayFixture;
  const { call, register, connect, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);

  /** Ends the user's sessions the way a client disconnecting does. */
  const closeAllOf = async (user: TestUser) => {
    for (const session of fixture.gateway.stomp.registry.sessionsOf(user.userId)) session.kick('BYE', 'test');
    await waitFor(() => fixture.gateway.stomp.registry.sessionsOf(user.userId).length === 0);
  };

  const device = async (user: TestUser, deviceId: string, headers: Record<string, string> = {}) => {
    const stomp = await connect(user, { 'device-id': deviceId });
    return { stomp, received: subscribeInbox(stomp, headers) };
  };

  /** Subscribes, collecting JSON bodies, and resolves once the session confirms it with a RECEIPT. */
  const subscribed = (stomp: TestStompClient, destination: string) =>
    new Promise<Record<string, any>[]>((resolve) => {
      const bodies: Record<string, any>[] = [];
      const receipt = randomUUID();
      stomp.client.watchForReceipt(receipt, () => resolve(bodies));
      stomp.client.subscribe(destination, (m) => bodies.push(JSON.parse(m.body)), { receipt });
    });

  const send = async (from: TestUser, to: TestUser, text: string) => {
    const answer = await call('POST', '/v1/messages', from.token, {
      messageId: randomUUID(),
      recipientId: to.userId,
      text,
    });
    expect(answer.status).toBe(202);
    return answer.body.messageId as string;
  };

  const messageEvents = async () => {
    const admin = new KafkaAdmin(fixture.world.kafka);
    await admin.connect();
    const topic = fixture.world.topic('chat.messages');
    const total = (await admin.topicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    await admin.disconnect();
    const records = await readTopic(fixture.world.kafka, topic, (r) => r.length >= total);
    return Promise.all(records.map((r) => fixture.serde.decode(r.value as Buffer)));
  };

  beforeAll(async () => {
    fixture = await startGatewayFixture('delivery', {
      retry: { initialMs: 300, maxMs: 1_000, maxAttempts: 4 },
      presence: { sessionTtlMs: 3_000, offlineGraceMs: 500 },
      deliveryTtlMs: 5_000,
    });
  });

  afterEach(() => closeAll());

  afterAll(() => fixture.dispose());

  it('pushes a message to an online device with ack and inbox-position; its ACK makes it delivered for the sender', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const phone = await device(bob, 'bob-phone');
    const messageId = await send(ada, bob, 'Hello Bob');

    await waitFor(() => phone.received.length === 1, { what: 'the MESSAGE' });
    const [item] = phone.received;
    expect(item!.message.headers).toMatchObject({
      'inbox-position': '1',
      ack: '1',
      destination: '/user/queue/messages',
    });
    const conversationId = directConversationId(ada.userId, bob.userId);
    expect(item!.body).toEqual({
      kind: 'message',
      messageId,
      conversationId,
      seq: expect.any(Number),
      senderId: ada.userId,
      text: 'Hello Bob',
      sentAt: expect.any(String),
    });

    item!.message.ack();
    await waitFor(
      async () =>
        (await call('GET', `/v1/conversations/${conversationId}/messages`, ada.token)).body.messages[0]
          ?.status === 'delivered',
      { what: 'the sender to see delivered' },
    );
    expect(
      (await messageEvents()).filter((e) => e.type === 'MessageDelivered' && e.messageId === messageId),
    ).toEqual([
      expect.objectContaining({
        recipientId: bob.userId,
        senderId: ada.userId,
        deviceId: 'bob-phone',
        seq: item!.body.seq,
      }),
    ]);
  });

  it('gives a recipient who was offline all 500 messages of 5 senders on connect, each conversation in seq order', async () => {
    const bob = await register('bob');
    const senders = await Promise.all([1, 2, 3, 4, 5].map((i) => register(`s${i}`)));
    await Promise.all(
      senders.map(async (sender) => {
        for (let i = 0; i < 100; i++) await send(sender, bob, `${sender.username} #${i}`);
      }),
    );

    const laptop = await device(bob, 'bob-laptop');
    await waitFor(() => laptop.received.length >= 500, { what: '500 items', timeoutMs: 60_000 });
    // Unacknowledged items come again after 300 ms here: on a busy machine the replay takes longer,
    // so each item is judged by its first arrival.
    const firstArrivals = laptop.received.filter(
      (r, i) => laptop.received.findIndex((o) => o.position === r.position) === i,
    );
    const byMessage = new Map(firstArrivals.map((r) => [r.body.messageId as string, r]));
    expect(byMessage.size).toBe(500);
    expect(firstArrivals.map((r) => r.position)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    for (const sender of senders) {
      const fromSender = firstArrivals.filter((r) => r.body.senderId === sender.userId);
      expect(fromSender.map((r) => r.body.text)).toEqual(
        Array.from({ length: 100 }, (_, i) => `${sender.username} #${i}`),
      );
      const seqs = fromSender.map((r) => r.body.seq as number);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    }

    // ACK everything; the same device connecting again gets nothing it already ACKed.
    for (const r of laptop.received) r.message.ack();
    await waitFor(async () => {
      const { rows } = await fixture.pool.query(
        `SELECT acked_position FROM device_positions WHERE user_id = $1 AND device_id = 'bob-laptop'`,
        [bob.userId],
      );
      return Number(rows[0]?.acked_position) === 500;
    });
    await laptop.stomp.client.deactivate();
    const again = await device(bob, 'bob-laptop');
    await send(senders[0]!, bob, 'one more');
    await waitFor(() => again.received.length >= 1);
    // A device gets its items in position order, a replay before anything newer: had it been given
    // anything ACKed again, that would have come first. (501 may come twice: it is not ACKed here.)
    expect(new Set(again.received.map((r) => `${r.position} ${r.body.text}`))).toEqual(
      new Set(['501 one more']),
    );
  });

  it('brings a device that was offline for a while up to date from its own position', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const phone = await device(bob, 'phone');
    const tablet = await device(bob, 'tablet');
    await send(ada, bob, 'both see this');
    await waitFor(() => phone.received.length >= 1 && tablet.received.length >= 1);
    phone.received[0]!.message.ack();
    tablet.received[0]!.message.ack();
    await waitFor(async () => {
      const { rows } = await fixture.pool.query(
        'SELECT count(*) AS n FROM device_positions WHERE user_id = $1 AND acked_position = 1',
        [bob.userId],
      );
      return Number(rows[0]?.n) === 2;
    });
    await tablet.stomp.client.deactivate();

    for (let i = 0; i < 20; i++) await send(ada, bob, `while the tablet was away ${i}`);
    await waitFor(() => new Set(phone.received.map((r) => r.position)).size === 21);
    for (const r of phone.received.slice(1)) r.message.ack();

    const back = await device(bob, 'tablet');
    await waitFor(() => back.received.length >= 20, { what: 'the 20 missed messages' });
    expect(back.received.slice(0, 20).map((r) => r.position)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 2),
    );

    // A device seen for the first time starts after what any device ACKed: nothing pending here.
    const fresh = await device(bob, 'new-watch');
    await send(ada, bob, 'after the watch joined');
    await waitFor(() => fresh.received.length >= 1);
    expect(fresh.received.map((r) => r.body.text)).toEqual(['after the watch joined']);
  });

  it('sends an item again after a NACK, and after a session that closed before its ACK', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const first = await device(bob, 'phone');
    const messageId = await send(ada, bob, 'ack me');
    await waitFor(() => first.received.length === 1);
    first.received[0]!.message.nack();
    await waitFor(() => first.received.length >= 2, { what: 'the redelivery after NACK' });
    expect(first.received[1]!.body.messageId).toBe(messageId);

    await first.stomp.client.deactivate(); // closed without any ACK
    const second = await device(bob, 'phone');
    await waitFor(() => second.received.length >= 1, { what: 'the item after reconnecting' });
    expect(second.received[0]!.body.messageId).toBe(messageId);
    second.received[0]!.message.ack();

    // Unacknowledged items come again on their own while the device stays (retry with backoff).
    await send(ada, bob, 'ignored for now');
    await waitFor(() => second.received.filter((r) => r.body.text === 'ignored for now').length >= 2, {
      what: 'a retry of the unACKed item',
    });
  });

  it('resumes after from-position, and delivers deletions for everybody as inbox items', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await send(ada, bob, `m${i}`));
    const resumed = await device(bob, 'phone', { 'from-position': '2' });
    await waitFor(() => resumed.received.length >= 1);
    // In position order, so m0 or m1 would have come before m2. (m2 may come twice: the retry after
    // 300 ms here can overtake the ACK.)
    expect(new Set(resumed.received.map((r) => `${r.position} ${r.body.text}`))).toEqual(new Set(['3 m2']));
    resumed.received[0]!.message.ack();

    expect(
      (await call('PATCH', `/v1/messages/${ids[0]}/status`, ada.token, { status: 'deleted_for_everybody' }))
        .status,
    ).toBe(204);
    await waitFor(() => resumed.received.some((r) => r.body.kind === 'deleted'), { what: 'the deletion' });
    expect(resumed.received.find((r) => r.body.kind === 'deleted')!.body).toEqual({
      kind: 'deleted',
      messageId: ids[0],
      conversationId: directConversationId(ada.userId, bob.userId),
    });
  });

  it('tells the sender sent, delivered and read on /user/queue/receipts; members get the live feed and typing', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const adaStomp = await connect(ada);
    const receipts = await subscribed(adaStomp, '/user/queue/receipts');
    const phone = await device(bob, 'phone');
    const typing = await subscribed(phone.stomp, '/user/queue/typing');

    const first = randomUUID();
    await adaStomp.sendWithReceipt('/app/chat.send', {
      messageId: first,
      recipientId: bob.userId,
      text: 'one',
    });
    await waitFor(() => receipts.some((r) => r.messageId === first && r.status === 'sent'), { what: 'sent' });
    expect(receipts[0]).toEqual({
      messageId: first,
      conversationId: directConversationId(ada.userId, bob.userId),
      recipientId: bob.userId,
      status: 'sent',
      seq: expect.any(Number),
      at: expect.any(String),
    });
    await waitFor(() => phone.received.length >= 1);
    phone.received[0]!.message.ack();
    await waitFor(() => receipts.some((r) => r.messageId === first && r.status === 'delivered'), {
      what: 'delivered',
    });

    const conversationId = directConversationId(ada.userId, bob.userId);
    const feed = await subscribed(phone.stomp, `/topic/conversation.${conversationId}`);
    await phone.stomp.sendWithReceipt('/app/chat.read', { conversationId, seq: phone.received[0]!.body.seq });
    await waitFor(() => receipts.some((r) => r.messageId === first && r.status === 'read'), { what: 'read' });
    expect(receipts.find((r) => r.status === 'read')).toMatchObject({
      recipientId: bob.userId,
      conversationId,
    });

    const second = randomUUID();
    await adaStomp.sendWithReceipt('/app/chat.send', { messageId: second, conversationId, text: 'two' });
    await adaStomp.sendWithReceipt('/app/chat.typing', { conversationId });
    await waitFor(() => typing.length >= 1, { what: 'typing' });
    expect(typing[0]).toEqual({ conversationId, userId: ada.userId });
    await waitFor(() => feed.some((f) => f.kind === 'message' && f.messageId === second), {
      what: 'the feed',
    });
    expect(feed.map((f) => f.kind)).toEqual(expect.arrayContaining(['read', 'message', 'typing']));
    expect(feed.find((f) => f.kind === 'message')).toMatchObject({
      messageId: second,
      text: 'two',
      senderId: ada.userId,
    });
  });

  it('keeps presence: online while a session lives, offline after the grace period, told to those who share a conversation', async () => {
    const [bob, carol] = [await register('bob'), await register('carol')];
    await send(carol, bob, 'we share a conversation now');
    const carolStomp = await connect(carol);
    const notices = await subscribed(carolStomp, '/user/queue/presence');
    const presenceOf = async () => (await call('GET', `/v1/users/${bob.userId}/presence`, carol.token)).body;
    expect(await presenceOf()).toEqual({ userId: bob.userId, status: 'offline', lastSeen: null });

    const first = await connect(bob);
    await waitFor(() => notices.some((n) => n.userId === bob.userId && n.status === 'online'), {
      what: 'online',
    });
    expect((await presenceOf()).status).toBe('online');

    // A reconnect within the grace period does not flap.
    await first.client.deactivate();
    await connect(bob);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(notices.filter((n) => n.userId === bob.userId).map((n) => n.status)).toEqual(['online']);

    await closeAllOf(bob);
    await waitFor(() => notices.some((n) => n.userId === bob.userId && n.status === 'offline'), {
      what: 'offline',
    });
    const offline = await waitFor(async () => {
      const view = await presenceOf();
      return view.status === 'offline' && view.lastSeen ? view : undefined;
    });
    expect(Date.parse(offline.lastSeen)).toBeGreaterThan(Date.now() - 10_000);
    expect((await call('GET', `/v1/users/${randomUUID()}/presence`, carol.token)).status).toBe(404);
  });

  it('tells the sender pending while the recipient has no device online, and failed after the delivery TTL', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const adaStomp = await connect(ada);
    const receipts = await subscribed(adaStomp, '/user/queue/receipts');
    const messageId = await send(ada, bob, 'nobody home');
    await waitFor(() => receipts.some((r) => r.messageId === messageId && r.status === 'pending'), {
      what: 'pending',
    });
    expect(receipts.find((r) => r.status === 'pending')).toMatchObject({ recipientId: bob.userId });
    await waitFor(() => receipts.some((r) => r.messageId === messageId && r.status === 'failed'), {
      what: 'failed after the 5 s TTL',
    });
    const conversationId = directConversationId(ada.userId, bob.userId);
    await waitFor(
      async () =>
        (await call('GET', `/v1/conversations/${conversationId}/messages`, ada.token)).body.messages[0]
          ?.status === 'failed',
    );
  });

  it('tells the sender pending, once, when the recipient leaves with a message undelivered', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const adaStomp = await connect(ada);
    const receipts = await subscribed(adaStomp, '/user/queue/receipts');
    const phone = await device(bob, 'phone'); // receives, never ACKs
    const messageId = await send(ada, bob, 'still there?');
    await waitFor(() => phone.received.length === 1, { what: 'the MESSAGE on the online device' });
    const statuses = () => receipts.filter((r) => r.messageId === messageId).map((r) => r.status);
    expect(statuses()).not.toContain('pending'); // bob was online when it was appended

    await closeAllOf(bob); // a clean disconnect: offline after the 0.5 s grace
    await waitFor(() => statuses().includes('pending'), { what: 'pending once bob is offline' });
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // more sweeps and catch-ups
    expect(statuses().filter((s) => s === 'pending')).toHaveLength(1);
    const pending = (await messageEvents()).filter(
      (e) => e.type === 'DeliveryPending' && e.messageId === messageId,
    );
    expect(pending).toEqual([expect.objectContaining({ recipientId: bob.userId, senderId: ada.userId })]);
  });

  it('tells the sender failed once an online device was given a message its retry budget of times without ACK', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    const adaStomp = await connect(ada);
    const receipts = await subscribed(adaStomp, '/user/queue/receipts');
    const phone = await device(bob, 'phone'); // receives, never ACKs
    const messageId = await send(ada, bob, 'are you there?');
    await waitFor(() => receipts.some((r) => r.messageId === messageId && r.status === 'failed'), {
      what: 'failed after 4 writes (0.3 s, 0.6 s, 1 s apart), well before the 5 s TTL',
    });
    expect(phone.received.filter((r) => r.body.messageId === messageId)).toHaveLength(4);
    const failed = (await messageEvents()).filter(
      (e) => e.type === 'MessageFailed' && e.messageId === messageId,
    );
    expect(failed).toEqual([
      expect.objectContaining({ recipientId: bob.userId, reason: 'retry budget spent' }),
    ]);
  });

  it('starts a device whose position is older than the retention with a gap item, then what is kept', async () => {
    const [ada, bob] = [await register('ada'), await register('bob')];
    for (let i = 0; i < 5; i++) await send(ada, bob, `old ${i}`);
    await waitFor(async () => {
      const { rows } = await fixture.pool.query('SELECT count(*) AS n FROM inbox_items WHERE user_id = $1', [
        bob.userId,
      ]);
      return Number(rows[0].n) === 5;
    });
    // What the retention job does to items older than INBOX_RETENTION_MS.
    await fixture.pool.query('DELETE FROM inbox_items WHERE user_id = $1 AND position <= 3', [bob.userId]);

    const phone = await device(bob, 'phone');
    await waitFor(() => phone.received.length >= 3, { what: 'the gap and the two kept items' });
    expect(phone.received[0]!.body).toEqual({ kind: 'gap', fromPosition: 1, toPosition: 3 });
    expect(phone.received.slice(1, 3).map((r) => [r.position, r.body.text])).toEqual([
      [4, 'old 3'],
      [5, 'old 4'],
    ]);
  });
});
