import { randomUUID } from 'node:crypto';
import { Client, type IFrame, type IMessage } from '@stomp/stompjs';
import WebSocket from 'ws';
import {
  conversationsProjection,
  credentialsProjection,
  isActiveMember,
  usersProjection,
} from '@parley/read-models';
import { randomName, waitFor } from '@parley/testing';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

const MAX_FRAME = 8 * 1024;

describe('STOMP 1.2 over WebSocket (PROTOCOL §3)', () => {
  let fixture: GatewayFixture;
  let port: number;
  let alice: { userId: string; token: string };
  const clients: Client[] = [];

  const register = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: randomName('s').toLowerCase().slice(0, 24), password: 'password-1' }),
    });
    return (await response.json()) as { userId: string; token: string };
  };

  /** A standard STOMP client, as an application would use it. */
  const stompClient = (connectHeaders: Record<string, string>, options: Partial<Client> = {}) => {
    const client = new Client({
      webSocketFactory: () => new WebSocket(`ws://127.0.0.1:${port}/ws`, ['v12.stomp', 'v11.stomp']),
      connectHeaders,
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      ...options,
    });
    clients.push(client);
    return client;
  };

  const connected = (client: Client) =>
    new Promise<IFrame>((resolve, reject) => {
      client.onConnect = resolve;
      client.onStompError = (frame) => reject(new Error(frame.headers.message));
      client.activate();
    });

  /** Raw frames over a raw socket, for what a well-behaved client never sends. */
  const rawSession = async (protocol = 'v12.stomp') => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, [protocol]);
    const received: string[] = [];
    socket.on('message', (data: Buffer) => received.push(data.toString('utf8')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return { socket, received, closed };
  };

  beforeAll(async () => {
    fixture = await startGatewayFixture('stomp', {
      projections: [usersProjection, credentialsProjection, conversationsProjection],
      maxFrameBytes: MAX_FRAME,
      heartBeatMs: 100,
    });
    port = fixture.port;
    alice = await register();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.deactivate()));
  });

  afterAll(() => fixture.dispose());

  it('answers CONNECT with a bearer token with CONNECTED: version, session, user-name, heart-beat', async () => {
    const frame = await connected(stompClient({ Authorization: `Bearer ${alice.token}` }));
    expect(frame.headers).toMatchObject({
      version: '1.2',
      'user-name': alice.userId,
      'heart-beat': '100,100',
    });
    expect(frame.headers.session).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts the token as passcode too, and the v11.stomp sub-protocol', async () => {
    const frame = await connected(stompClient({ passcode: alice.token }));
    expect(frame.headers['user-name']).toBe(alice.userId);
    const raw = await rawSession('v11.stomp');
    raw.socket.send(`CONNECT\naccept-version:1.1\npasscode:${alice.token}\n\n\0`);
    await waitFor(() => raw.received.some((m) => m.startsWith('CONNECTED\nversion:1.1\n')), {
      what: 'CONNECTED 1.1',
    });
    raw.socket.close();
  });

  it('refuses a bad token with ERROR, then closes', async () => {
    const raw = await rawSession();
    raw.socket.send('CONNECT\naccept-version:1.2\nhost:parley\nAuthorization:Bearer forged.token.here\n\n\0');
    await raw.closed;
    expect(raw.received.join('')).toMatch(/^ERROR\nmessage:TOKEN_INVALID\n(.|\n)*token is not valid\0$/);

    const client = stompClient({ Authorization: 'Bearer nope' });
    await expect(connected(client)).rejects.toThrow(/TOKEN_INVALID/);
  });

  it.each([
    [
      'a frame over the size limit',
      () => `SEND\ndestination:/app/chat.send\n\n${'x'.repeat(MAX_FRAME)}\0`,
      /larger than the limit/,
    ],
    ['a malformed header', () => 'SEND\nno colon here\n\n\0', /malformed header/],
    ['an unknown command', () => 'LAUNCH\n\n\0', /unknown command/],
    ['an undefined escape', () => 'SUBSCRIBE\nid:1\ndestination:/user/queue/\\x\n\n\0', /invalid escape/],
    ['a transaction', () => 'BEGIN\ntransaction:t1\n\n\0', /transactions are not supported/],
  ])('answers %s with ERROR, then closes', async (_what, frame, message) => {
    const raw = await rawSession();
    raw.socket.send(`CONNECT\naccept-version:1.2\nhost:parley\nAuthorization:Bearer ${alice.token}\n\n\0`);
    await waitFor(() => raw.received.some((m) => m.startsWith('CONNECTED')));
    raw.socket.send(frame());
    await raw.closed;
    const error = raw.received.find((m) => m.startsWith('ERROR'));
    expect(error).toMatch(message);
  });

  it('refuses anything but CONNECT first', async () => {
    const raw = await rawSession();
    raw.socket.send('SUBSCRIBE\nid:0\ndestination:/user/queue/messages\n\n\0');
    await raw.closed;
    expect(raw.received.join('')).toMatch(/^ERROR\nmessage:expected CONNECT/);
  });

  it('sends heart-beats and closes a session that stays silent for twice the agreed interval', async () => {
    const raw = await rawSession();
    // The client promises a beat every 100 ms and asks for one every 100 ms, then never sends again.
    const sentAt = Date.now();
    raw.socket.send(
      `CONNECT\naccept-version:1.2\nheart-beat:100,100\nAuthorization:Bearer ${alice.token}\n\n\0`,
    );
    await raw.closed;
    const silentFor = Date.now() - sentAt;
    expect(raw.received[0]).toMatch(/^CONNECTED\n/);
    expect(raw.received.filter((m) => m === '\n').length).toBeGreaterThanOrEqual(1);
    expect(silentFor).toBeGreaterThanOrEqual(190);
    expect(silentFor).toBeLessThan(2_000);
  });

  it('keeps a session alive while the client beats', async () => {
    const client = stompClient(
      { Authorization: `Bearer ${alice.token}` },
      { heartbeatIncoming: 100, heartbeatOutgoing: 50 },
    );
    await connected(client);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(client.connected).toBe(true);
  });

  it('answers refused subscriptions on /user/queue/errors and keeps the connection open', async () => {
    const client = stompClient({ Authorization: `Bearer ${alice.token}` });
    await connected(client);
    const errors: IMessage[] = [];
    client.subscribe('/user/queue/errors', (m) => errors.push(m));
    const receipts: string[] = [];
    client.onUnhandledReceipt = (frame) => receipts.push(frame.headers['receipt-id'] ?? '');

    const stranger = `conv-${randomUUID()}`;
    client.subscribe(`/topic/conversation.${stranger}`, () => undefined, { receipt: 'r-stranger' });
    client.subscribe('/queue/somewhere-else', () => undefined);
    await waitFor(() => errors.length >= 2, { what: 'two errors' });
    expect(errors.map((m) => JSON.parse(m.body) as unknown)).toEqual([
      { code: 'NOT_FOUND', message: `conversation ${stranger} not found`, receiptId: 'r-stranger' },
      { code: 'UNKNOWN_DESTINATION', message: 'cannot subscribe to /queue/somewhere-else' },
    ]);

    // Still connected; a member may subscribe to its conversation's live feed.
    const conversationId = `conv-${randomUUID()}`;
    await fixture.producer.send({
      topic: fixture.world.topic('chat.conversations'),
      key: conversationId,
      value: await fixture.serde.encode({
        type: 'ConversationCreated',
        eventId: randomUUID(),
        occurredAt: Date.now(),
        conversationId,
        kind: 'GROUP',
        title: 'Team',
        createdBy: alice.userId,
        memberIds: [alice.userId],
      }),
    });
    await waitFor(() => isActiveMember(fixture.pool, conversationId, alice.userId), {
      what: 'membership to be projected',
    });
    client.subscribe(`/topic/conversation.${conversationId}`, () => undefined, { receipt: 'r-member' });
    await waitFor(() => receipts.includes('r-member'), { what: 'the RECEIPT for a member' });
    expect(receipts).not.toContain('r-stranger');
    expect(client.connected).toBe(true);
  });

  it('answers DISCONNECT with its RECEIPT, then closes', async () => {
    const raw = await rawSession();
    raw.socket.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${alice.token}\n\n\0`);
    await waitFor(() => raw.received.some((m) => m.startsWith('CONNECTED')));
    raw.socket.send('DISCONNECT\nreceipt:bye-1\n\n\0');
    await raw.closed;
    expect(raw.received).toContain('RECEIPT\nreceipt-id:bye-1\n\n\0');
  });
});
