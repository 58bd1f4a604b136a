import { randomUUID } from 'node:crypto';
import { directConversationId } from '@parley/domain';
import { gatewayClients, subscribeInbox } from '../test/gateway-clients';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

// One connection's SENDs run concurrently (issue 11): the session does not wait for one message's
// Kafka acknowledgement before it reads the next. What must hold all the same: every SEND gets its
// RECEIPT, and a session's messages to one conversation get their `seq` in the order it sent them.

describe('pipelined sends over one STOMP connection', () => {
  let fixture: GatewayFixture;
  const { call, register, connect, closeAll, waitFor } = gatewayClients(() => fixture.baseUrl);

  beforeAll(async () => {
    fixture = await startGatewayFixture('pipelined', {
      sendLimit: { capacity: 10_000, refillPerSecond: 10_000 },
      // A small cap, so this spec also runs the path where the socket is paused and resumed.
      sessionLimits: { maxSendsInFlight: 8 },
    });
  });

  afterEach(() => closeAll());

  afterAll(() => fixture.dispose());

  it('sends 400 messages to two conversations without waiting: every RECEIPT comes, and each conversation keeps the order they were sent in', async () => {
    const [ada, bob, cyd] = [await register('ada'), await register('bob'), await register('cyd')];
    const group = await call('POST', '/v1/conversations', ada.token, {
      title: 'pipeline',
      memberIds: [bob.userId, cyd.userId],
    });
    expect(group.status).toBe(201);
    const groupId = group.body.conversationId as string;
    const stomp = await connect(ada);
    const bobDevice = await connect(bob, { 'device-id': 'bob-phone' });
    const bobInbox = subscribeInbox(bobDevice);

    const count = 400;
    const texts: string[] = [];
    const receipts: Promise<string>[] = [];
    for (let i = 0; i < count; i++) {
      const text = `${i % 2 === 0 ? 'group' : 'direct'}-${i}`;
      texts.push(text);
      const target = i % 2 === 0 ? { conversationId: groupId } : { recipientId: bob.userId };
      // All issued at once: the client does not wait for one RECEIPT before the next SEND.
      receipts.push(
        stomp.sendWithReceipt('/app/chat.send', { messageId: randomUUID(), text, ...target }, 60_000),
      );
    }
    await Promise.all(receipts);
    expect(stomp.errors).toEqual([]);

    const inOrder = async (conversationId: string, prefix: string) => {
      const expected = texts.filter((t) => t.startsWith(prefix));
      const page = await waitFor(
        async () => {
          const answer = await call(
            'GET',
            `/v1/conversations/${conversationId}/messages?limit=200`,
            bob.token,
          );
          return answer.body.messages?.length === expected.length ? answer.body.messages : undefined;
        },
        { what: `${expected.length} ${prefix} messages in history`, timeoutMs: 60_000 },
      );
      // History is in seq order: the texts must come back in the order they were sent.
      expect(page.map((m: { text: string }) => m.text)).toEqual(expected);
    };
    const direct = directConversationId(ada.userId, bob.userId);
    await inOrder(groupId, 'group-');
    await inOrder(direct, 'direct-');

    // Bob's device got all 400 through its inbox, in the same per-conversation order (items not
    // ACKed in time come again: only the first arrival of each counts).
    const firstArrivals = () => [
      ...new Map(bobInbox.map((item) => [item.body.messageId as string, item.body.text as string])).values(),
    ];
    await waitFor(() => firstArrivals().length >= count, { what: `${count} inbox items`, timeoutMs: 60_000 });
    for (const prefix of ['group-', 'direct-']) {
      const arrived = firstArrivals().filter((t) => t.startsWith(prefix));
      expect(arrived).toEqual(texts.filter((t) => t.startsWith(prefix)));
    }
  });
});
