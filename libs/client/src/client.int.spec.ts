// The SDK against the real stack: a gateway node (HTTP and STOMP), the projections and the delivery
// worker on real Kafka, PostgreSQL and Redis. Each client is a Node client of @parley/client/node.
import { randomName, waitFor } from '@parley/testing';
import type { Gateway } from '../../../apps/gateway/src/gateway';
import { startGatewayFixture, type GatewayFixture } from '../../../apps/gateway/test/gateway-fixture';
import {
  MemoryStorage,
  nodeWebSocketFactory,
  ParleyClient,
  type ChatMessage,
  type ClientStorage,
  type InboxEvent,
} from './node';

describe('@parley/client against the real stack', () => {
  let fixture: GatewayFixture;
  const clients: ParleyClient[] = [];
  const extraNodes: Gateway[] = [];

  beforeAll(async () => {
    fixture = await startGatewayFixture('sdk');
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(extraNodes.map((node) => node.close().catch(() => undefined)));
    await fixture.dispose();
  });

  /** A signed-in SDK client on `baseUrl` (the fixture's node by default), registered afresh. */
  const signUp = async (label: string, options: { baseUrl?: string; storage?: ClientStorage } = {}) => {
    const client = new ParleyClient({
      baseUrl: options.baseUrl ?? fixture.baseUrl,
      storage: options.storage ?? new MemoryStorage(),
      webSocketFactory: nodeWebSocketFactory,
      reconnectBackoff: { initialMs: 100, maxMs: 1_000 },
    });
    clients.push(client);
    const session = await client.register(randomName(label).toLowerCase().slice(0, 24), 'password-1');
    await waitFor(() => client.connection.getSnapshot().state === 'online', { what: `${label} online` });
    return { client, userId: session.userId };
  };

  /** Every new inbox message, in the order the app was told (an app taking `delayMs` for each). */
  const collect = (client: ParleyClient, delayMs = 0) => {
    const received: ChatMessage[] = [];
    client.onInbox(async (event) => {
      if (event.kind === 'message') received.push(event.message);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    });
    return received;
  };

  /** Ends every socket of a node abruptly, as a network loss would (no close handshake). */
  const killSockets = (node: Gateway) => {
    for (const socket of node.stomp.wss.clients) socket.terminate();
  };

  it('given a burst of 200 sends with the sockets killed in the middle, then every message arrives once, in order, and the outbox empties', async () => {
    const ada = await signUp('ada');
    const bob = await signUp('bob');
    // A slow app: items wait unACKed in the client when the sockets die, and come again after.
    const received = collect(bob.client, 30);
    const states: string[] = [];
    ada.client.connection.subscribe(() => states.push(ada.client.connection.getSnapshot().state));
    const texts = Array.from({ length: 200 }, (_, i) => `burst ${i}`);
    const sent: ChatMessage[] = [];
    for (const text of texts) sent.push(await ada.client.send({ recipientId: bob.userId, text }));

    await waitFor(() => ada.client.outbox.getSnapshot().length <= 120, { what: 'a part of the burst sent' });
    killSockets(fixture.gateway);

    await waitFor(() => ada.client.outbox.getSnapshot().length === 0, {
      what: 'the outbox empty',
      timeoutMs: 45_000,
    });
    await waitFor(() => received.length >= 200, { what: 'bob has every message', timeoutMs: 30_000 });
    // The socket was lost mid-burst and the client came back by itself.
    expect(states.slice(0, 3)).toEqual(['offline', 'connecting', 'online']);
    expect(ada.client.outbox.getSnapshot().length).toBe(0);
    expect(received.map((m) => m.text)).toEqual(texts);
    expect(received.map((m) => m.messageId)).toEqual(sent.map((m) => m.messageId));
    const seqs = received.map((m) => m.seq!);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // No duplicate slipped in later (redeliveries of what was unACKed when the sockets died).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(received).toHaveLength(200);
    const history = await ada.client.http.history(sent[0]!.conversationId, { limit: 200 });
    expect(history.messages.map((m) => m.text)).toEqual(texts);
  });

  it('given the gateway restarted, then the client comes back on its own and catches up on what was sent meanwhile', async () => {
    const node = await fixture.startNode();
    extraNodes.push(node);
    const port = node.port;
    const ada = await signUp('ada');
    const bob = await signUp('bob', { baseUrl: `http://127.0.0.1:${port}` });
    const received = collect(bob.client);
    await ada.client.send({ recipientId: bob.userId, text: 'before the restart' });
    await waitFor(() => received.length === 1, { what: 'the first message' });

    await node.close();
    await waitFor(() => bob.client.connection.getSnapshot().state === 'offline', { what: 'bob offline' });
    for (let i = 0; i < 5; i++) await ada.client.send({ recipientId: bob.userId, text: `while away ${i}` });
    await waitFor(() => ada.client.outbox.getSnapshot().length === 0, { what: 'ada’s sends recorded' });

    extraNodes.push(await fixture.startNode({ port }));
    await waitFor(() => received.length === 6, { what: 'bob caught up', timeoutMs: 30_000 });
    expect(received.map((m) => m.text)).toEqual([
      'before the restart',
      ...Array.from({ length: 5 }, (_, i) => `while away ${i}`),
    ]);
    expect(bob.client.connection.getSnapshot().state).toBe('online');
  });

  it('given a message read by its recipient, then the sender sees it sent, delivered, then read', async () => {
    const ada = await signUp('ada');
    const bob = await signUp('bob');
    const received = collect(bob.client);
    await ada.client.refreshConversations();
    const message = await ada.client.send({ recipientId: bob.userId, text: 'read me' });
    const view = ada.client.conversation(message.conversationId).view;
    const seen: string[] = [];
    const statusNow = () =>
      view.getSnapshot().messages.find((m) => m.messageId === message.messageId)?.status;
    view.subscribe(() => {
      const status = statusNow();
      if (status && seen[seen.length - 1] !== status) seen.push(status);
    });

    await waitFor(() => statusNow() === 'delivered', { what: 'delivered' });
    await waitFor(() => received.length === 1, { what: 'bob has it' });
    bob.client.markRead(message.conversationId);
    await waitFor(() => statusNow() === 'read', { what: 'read' });
    expect(seen).toEqual(['sent', 'delivered', 'read']);
    const bobSummary = bob.client.conversations
      .getSnapshot()
      .find((c) => c.conversationId === message.conversationId);
    expect(bobSummary?.unreadCount).toBe(0);
    await waitFor(
      async () =>
        (await bob.client.http.conversations()).conversations.find(
          (c) => c.conversationId === message.conversationId,
        )?.unreadCount === 0,
      { what: 'the read recorded' },
    );
  });

  it('given an edit, then both sides show the new text as edited, the recipient is told once, and a refused edit rejects with its code', async () => {
    const ada = await signUp('ada');
    const bob = await signUp('bob');
    const told: InboxEvent[] = [];
    bob.client.onInbox((event) => void told.push(event));
    const message = await ada.client.send({ recipientId: bob.userId, text: 'See you at 5' });
    const shown = (client: ParleyClient) =>
      client
        .conversation(message.conversationId)
        .view.getSnapshot()
        .messages.find((m) => m.messageId === message.messageId);
    await waitFor(() => shown(bob.client) !== undefined && shown(ada.client)?.seq !== undefined, {
      what: 'the message on both sides',
    });

    const answer = await ada.client.editMessage(message.conversationId, message.messageId, 'See you at 6');
    expect(shown(ada.client)).toMatchObject({ text: 'See you at 6', editedAt: answer.editedAt });
    await waitFor(() => shown(bob.client)?.text === 'See you at 6', { what: 'the edit at bob’s' });
    expect(shown(bob.client)).toMatchObject({ editedAt: answer.editedAt, own: false });
    expect(told.filter((e) => e.kind === 'edited')).toEqual([
      {
        kind: 'edited',
        messageId: message.messageId,
        conversationId: message.conversationId,
        editId: answer.editId,
        text: 'See you at 6',
        editedAt: answer.editedAt,
      },
    ]);
    // A fresh page of history agrees.
    await waitFor(async () => {
      await bob.client.conversation(message.conversationId).refresh();
      return shown(bob.client)?.editedAt === answer.editedAt;
    });

    await expect(
      bob.client.editMessage(message.conversationId, message.messageId, 'not mine'),
    ).rejects.toMatchObject({ code: 'NOT_SENDER', status: 403 });
    expect(shown(bob.client)?.text).toBe('See you at 6');
  });

  it('given a refusal that retrying cannot fix, then that message is failed and the next one is delivered', async () => {
    const ada = await signUp('ada');
    const bob = await signUp('bob');
    const received = collect(bob.client);
    const tooLong = await ada.client.send({ recipientId: bob.userId, text: 'x'.repeat(4_001) });
    await ada.client.send({ recipientId: bob.userId, text: 'after the refused one' });
    await waitFor(() => received.length === 1, { what: 'the second message' });
    expect(received[0]!.text).toBe('after the refused one');
    const failed = ada.client
      .conversation(tooLong.conversationId)
      .view.getSnapshot()
      .messages.find((m) => m.messageId === tooLong.messageId);
    expect(failed).toEqual(
      expect.objectContaining({
        status: 'failed',
        failure: expect.objectContaining({ code: 'TEXT_TOO_LONG' }),
      }),
    );
    expect(ada.client.outbox.getSnapshot().map((e) => [e.messageId, e.failure?.code])).toEqual([
      [tooLong.messageId, 'TEXT_TOO_LONG'],
    ]);
  });
});
