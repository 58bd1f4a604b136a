import { Outbox } from './outbox';
import { MemoryStorage } from './storage';
import { FakeTransport, type FakeConnection } from './testing/fake-transport';

const SEND = '/app/chat.send';

/** A connection the test plays the server for; the outbox is attached to it like the client does. */
function online(outbox: Outbox, transport: FakeTransport): FakeConnection {
  transport.open({}, { onConnected: () => undefined, onClosed: () => outbox.detach() });
  const connection = transport.last;
  connection.accept();
  connection.subscribe('/user/queue/errors', (m) => outbox.handleRefusal(JSON.parse(m.body)));
  outbox.attach(connection);
  return connection;
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('Outbox with a fake transport', () => {
  let storage: MemoryStorage;
  let transport: FakeTransport;
  let outbox: Outbox;

  beforeEach(() => {
    jest.useFakeTimers();
    storage = new MemoryStorage();
    transport = new FakeTransport();
    outbox = new Outbox(storage, { backoff: { initialMs: 1_000, maxMs: 1_000 }, random: () => 1 });
  });
  afterEach(() => {
    outbox.close();
    jest.useRealTimers();
  });

  it('given a message enqueued, then it is in storage before it is sent, with its messageId', async () => {
    const connection = online(outbox, transport);
    const writes: unknown[] = [];
    const set = storage.set.bind(storage);
    storage.set = async (key, value) => {
      writes.push(value);
      expect(connection.sent).toHaveLength(0);
      await set(key, value);
    };
    await outbox.enqueue({ messageId: 'm1', conversationId: 'c1', text: 'hello' });
    expect(writes).toHaveLength(1);
    expect(connection.bodies(SEND)).toEqual([
      expect.objectContaining({ messageId: 'm1', conversationId: 'c1', text: 'hello' }),
    ]);
  });

  it('given three messages to one conversation, then each goes after the RECEIPT of the one before', async () => {
    const connection = online(outbox, transport);
    for (const id of ['m1', 'm2', 'm3'])
      await outbox.enqueue({ messageId: id, conversationId: 'c1', text: id });
    expect(connection.bodies(SEND).map((b) => b.messageId)).toEqual(['m1']);
    connection.receipt(connection.bodies(SEND)[0]!.receipt);
    await flush();
    expect(connection.bodies(SEND).map((b) => b.messageId)).toEqual(['m1', 'm2']);
    connection.receipt(connection.bodies(SEND)[1]!.receipt);
    connection.receipt(connection.bodies(SEND)[1]!.receipt);
    await flush();
    expect(connection.bodies(SEND).map((b) => b.messageId)).toEqual(['m1', 'm2', 'm3']);
    expect(outbox.entries.getSnapshot().map((e) => e.messageId)).toEqual(['m3']);
  });

  it('given the connection drops with a send in flight, when a new one comes, then it is sent again with the same messageId', async () => {
    const first = online(outbox, transport);
    await outbox.enqueue({ messageId: 'm1', conversationId: 'c1', text: 'a' });
    await outbox.enqueue({ messageId: 'm2', conversationId: 'c1', text: 'b' });
    first.drop();
    const second = online(outbox, transport);
    expect(second.bodies(SEND).map((b) => b.messageId)).toEqual(['m1']);
    second.receipt(second.bodies(SEND)[0]!.receipt);
    // A late RECEIPT of the dead connection's attempt changes nothing.
    first.receipt(first.bodies(SEND)[0]!.receipt);
    expect(second.bodies(SEND).map((b) => b.messageId)).toEqual(['m1', 'm2']);
  });

  it('given a refusal that retrying cannot fix, then the message fails and the next one of its conversation goes', async () => {
    const failed: string[] = [];
    outbox = new Outbox(storage, { onFailed: (e) => failed.push(`${e.messageId}:${e.failure?.code}`) });
    const connection = online(outbox, transport);
    await outbox.enqueue({ messageId: 'm1', conversationId: 'c1', text: 'x'.repeat(5000) });
    await outbox.enqueue({ messageId: 'm2', conversationId: 'c1', text: 'fine' });
    connection.refuse({
      code: 'TEXT_TOO_LONG',
      message: 'too long',
      receiptId: connection.bodies(SEND)[0]!.receipt,
    });
    expect(failed).toEqual(['m1:TEXT_TOO_LONG']);
    expect(connection.bodies(SEND).map((b) => b.messageId)).toEqual(['m1', 'm2']);
    expect(outbox.entries.getSnapshot().find((e) => e.messageId === 'm1')?.failure?.code).toBe(
      'TEXT_TOO_LONG',
    );
  });

  it('given RATE_LIMITED with retryAfterMs, then nothing is sent before that time, then the same messageId goes first', async () => {
    const connection = online(outbox, transport);
    await outbox.enqueue({ messageId: 'm1', conversationId: 'c1', text: 'a' });
    await outbox.enqueue({ messageId: 'm2', conversationId: 'c2', text: 'b' });
    connection.refuse({
      code: 'RATE_LIMITED',
      message: 'slow down',
      retryAfterMs: 2_000,
      receiptId: connection.bodies(SEND)[0]!.receipt,
    });
    connection.receipt(connection.bodies(SEND)[1]!.receipt);
    await outbox.enqueue({ messageId: 'm3', conversationId: 'c3', text: 'c' });
    expect(connection.bodies(SEND).map((b) => b.messageId)).toEqual(['m1', 'm2']);
    jest.advanceTimersByTime(1_999);
    expect(connection.bodies(SEND)).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(connection.bodies(SEND).map((b) => b.messageId)).toEqual(['m1', 'm2', 'm1', 'm3']);
  });

  it('given UNAVAILABLE, then the message is retried after backoff and keeps its place', async () => {
    const connection = online(outbox, transport);
    await outbox.enqueue({ messageId: 'm1', conversationId: 'c1', text: 'a' });
    await outbox.enqueue({ messageId: 'm2', conversationId: 'c1', text: 'b' });
    connection.refuse({
      code: 'UNAVAILABLE',
      message: 'kafka',
      receiptId: connection.bodies(SEND)[0]!.receipt,
    });
    jest.advanceTimersByTime(999);
    expect(connection.bodies(SEND).map((b) => b.messageId)).toEqual(['m1']);
    jest.advanceTimersByTime(1);
    expect(connection.bodies(SEND).map((b) => b.messageId)).toEqual(['m1', 'm1']);
  });

  it('given no answer within the receipt timeout, then the message is sent again', async () => {
    outbox = new Outbox(storage, {
      receiptTimeoutMs: 5_000,
      backoff: { initialMs: 100, maxMs: 100 },
      random: () => 1,
    });
    const connection = online(outbox, transport);
    await outbox.enqueue({ messageId: 'm1', conversationId: 'c1', text: 'a' });
    jest.advanceTimersByTime(5_100);
    expect(connection.bodies(SEND).map((b) => b.messageId)).toEqual(['m1', 'm1']);
  });

  it('given the process ends with messages in the outbox, when a new outbox loads the storage, then it sends them in order with their messageIds', async () => {
    const before = online(outbox, transport);
    await outbox.enqueue({ messageId: 'm1', conversationId: 'c1', text: 'a' });
    await outbox.enqueue({ messageId: 'm2', conversationId: 'c1', text: 'b' });
    before.receipt(before.bodies(SEND)[0]!.receipt);
    await flush();
    outbox.close();

    const restarted = new Outbox(storage);
    await restarted.load();
    expect(restarted.entries.getSnapshot().map((e) => e.messageId)).toEqual(['m2']);
    const after = online(restarted, transport);
    expect(after.bodies(SEND)).toEqual([expect.objectContaining({ messageId: 'm2', text: 'b' })]);
    await restarted.enqueue({ messageId: 'm3', conversationId: 'c1', text: 'c' });
    after.receipt(after.bodies(SEND)[0]!.receipt);
    expect(after.bodies(SEND).map((b) => b.messageId)).toEqual(['m2', 'm3']);
    restarted.close();
  });

  it('given a direct message, then it is sent by recipientId', async () => {
    const connection = online(outbox, transport);
    await outbox.enqueue({ messageId: 'm1', conversationId: 'c1', recipientId: 'bob', text: 'hi' });
    expect(connection.bodies(SEND)[0]).toEqual(
      expect.objectContaining({ messageId: 'm1', recipientId: 'bob', text: 'hi' }),
    );
    expect(connection.bodies(SEND)[0]).not.toHaveProperty('conversationId');
  });

  it("given two tabs sharing one storage, when each writes a message and one gets its RECEIPT, then the other tab's message stays stored", async () => {
    const other = new Outbox(storage, { backoff: { initialMs: 1_000, maxMs: 1_000 }, random: () => 1 });
    await other.load();
    const connection = online(outbox, transport);
    await outbox.enqueue({ messageId: 'mine', conversationId: 'c1', text: 'from tab A' });
    await other.enqueue({ messageId: 'theirs', conversationId: 'c1', text: 'from tab B' });
    const stored = async () =>
      (await storage.entries<{ messageId: string }>('outbox/')).map(([, entry]) => entry.messageId).sort();
    expect(await stored()).toEqual(['mine', 'theirs']);
    connection.receipt(connection.bodies(SEND)[0]!.receipt);
    await flush();
    expect(await stored()).toEqual(['theirs']);
    other.close();
  });

  it('given a failed message retried, then it goes after the messages written since', async () => {
    const connection = online(outbox, transport);
    await outbox.enqueue({ messageId: 'first', conversationId: 'c1', text: 'x'.repeat(10) });
    connection.refuse({
      code: 'NOT_A_MEMBER',
      message: 'no',
      receiptId: connection.bodies(SEND)[0]!.receipt,
    });
    await flush();
    expect(outbox.entries.getSnapshot().find((e) => e.messageId === 'first')?.failure).toBeDefined();
    await outbox.enqueue({ messageId: 'second', conversationId: 'c1', text: 'y' });
    await outbox.retry('first');
    expect(outbox.entries.getSnapshot().map((e) => e.messageId)).toEqual(['second', 'first']);
  });
});
