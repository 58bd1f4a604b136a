import { messagesProjection } from '@parley/read-models';

const at = { eventId: 'e-1', occurredAt: 1_700_000_000_000 };
const position = (offset: number) => ({ topic: 'chat.messages', partition: 3, offset: String(offset) });

describe('messages projection (pure)', () => {
  it('records a sent message with its offset as seq, and its claim as acked', () => {
    const statements = messagesProjection.apply(
      {
        type: 'MessageSent',
        ...at,
        messageId: 'm-1',
        conversationId: 'c-1',
        senderId: 'u-1',
        recipientId: null,
        text: 'hi',
        replyToMessageId: null,
      },
      position(41),
    );
    expect(statements).toHaveLength(2);
    expect(statements[0]!.text).toMatch(/INSERT INTO messages/);
    expect(statements[0]!.values).toEqual(['m-1', 'c-1', '41', 'u-1', null, 'hi', at.occurredAt]);
    expect(statements[1]!.text).toMatch(/INSERT INTO message_claims[\s\S]*acked/);
  });

  it('never lets a read cover messages sent after it: seq is capped at the read event’s own offset', () => {
    const read = (upToSeq: number, offset: number) =>
      messagesProjection.apply(
        { type: 'MessageRead', ...at, conversationId: 'c-1', readerId: 'u-2', upToSeq },
        position(offset),
      );
    expect(read(10, 50).map((s) => s.values[2])).toEqual([10, 10]);
    expect(read(9_000_000, 50).map((s) => s.values[2])).toEqual([50, 50]);
  });

  it('ignores events of other topics', () => {
    expect(
      messagesProjection.apply(
        { type: 'UserRegistered', ...at, userId: 'u', username: 'ada', displayName: null },
        position(1),
      ),
    ).toEqual([]);
  });
});
