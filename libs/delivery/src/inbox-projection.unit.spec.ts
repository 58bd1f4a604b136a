import { inboxProjection } from '@parley/delivery';

const at = { eventId: 'e', occurredAt: 1_700_000_000_000 };
const position = (offset: number) => ({ topic: 'chat.messages', partition: 0, offset: String(offset) });

describe('inbox projection (pure)', () => {
  it('turns a chunk into one set-based statement, items in log order with their seq', () => {
    const statements = inboxProjection.applyChunk!([
      {
        event: {
          type: 'MessageSent',
          ...at,
          messageId: 'm1',
          conversationId: 'c',
          senderId: 'a',
          recipientId: null,
          text: 'x',
        },
        position: position(7),
      },
      {
        event: { type: 'MessageRead', ...at, conversationId: 'c', readerId: 'b', upToSeq: 7 },
        position: position(8),
      },
      {
        event: {
          type: 'MessageDeleted',
          ...at,
          messageId: 'm1',
          conversationId: 'c',
          deletedBy: 'a',
          scope: 'ME',
        },
        position: position(9),
      },
      {
        event: {
          type: 'MessageDeleted',
          ...at,
          messageId: 'm1',
          conversationId: 'c',
          deletedBy: 'a',
          scope: 'EVERYONE',
        },
        position: position(10),
      },
    ]);
    expect(statements).toHaveLength(1);
    const [kinds, ids, conversations, excluded, , bodies] = statements[0]!.values as string[][];
    expect(kinds).toEqual(['message', 'deleted']);
    expect(ids).toEqual(['m1', 'm1']);
    expect(conversations).toEqual(['c', 'c']);
    expect(excluded).toEqual(['a', 'a']);
    expect(JSON.parse(bodies![0]!)).toMatchObject({ kind: 'message', seq: 7, senderId: 'a', text: 'x' });
    expect(JSON.parse(bodies![1]!)).toEqual({ kind: 'deleted', messageId: 'm1', conversationId: 'c' });
  });

  it('has nothing to write for events that address nobody', () => {
    expect(
      inboxProjection.apply(
        { type: 'MessageRead', ...at, conversationId: 'c', readerId: 'b', upToSeq: 1 },
        position(1),
      ),
    ).toEqual([]);
  });
});
