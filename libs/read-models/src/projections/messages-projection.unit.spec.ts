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

  describe('edits', () => {
    const edited = (offset: number, editId = 'e-1') => ({
      event: {
        type: 'MessageEdited' as const,
        ...at,
        messageId: 'm-1',
        conversationId: 'c-1',
        editedBy: 'u-1',
        editId,
        text: 'better',
      },
      position: position(offset),
    });

    it('given an edit, then one statement records it by its edit id and sets the text and editedAt', () => {
      const { event, position: where } = edited(42);
      const statements = messagesProjection.apply(event, where);
      expect(statements).toHaveLength(1);
      expect(statements[0]!.text).toMatch(
        /INSERT INTO message_edits[\s\S]*UPDATE messages m SET text = l.body, edited_at/,
      );
      // Only by the sender, after the message, not after a deletion, the first record of an edit id.
      expect(statements[0]!.text).toMatch(/m\.sender_id = e\.by/);
      expect(statements[0]!.text).toMatch(/m\.seq < e\.pos/);
      expect(statements[0]!.text).toMatch(/NOT m\.deleted_for_everybody/);
      expect(statements[0]!.text).toMatch(/NOT EXISTS \(SELECT 1 FROM message_edits/);
      expect(statements[0]!.values).toEqual([
        ['m-1'],
        ['e-1'],
        ['u-1'],
        ['c-1'],
        ['better'],
        [at.occurredAt],
        ['42'],
      ]);
    });

    it('given one edit, then the one-event rule and the chunk rule are the same statement', () => {
      const entry = edited(42);
      expect(messagesProjection.applyChunk!([entry])).toEqual(
        messagesProjection.apply(entry.event, entry.position),
      );
    });

    it('given a chunk of several edits, then they go together in log order in one statement', () => {
      const statements = messagesProjection.applyChunk!([
        edited(42, 'e-1'),
        edited(43, 'e-2'),
        edited(44, 'e-1'),
      ]);
      const edits = statements.filter((s) => /message_edits/.test(s.text) && /UPDATE messages/.test(s.text));
      expect(edits).toHaveLength(1);
      expect(edits[0]!.values[1]).toEqual(['e-1', 'e-2', 'e-1']);
      expect(edits[0]!.values[6]).toEqual(['42', '43', '44']);
    });

    it('given a deletion for everybody, then the text, editedAt and the edits go', () => {
      const statements = messagesProjection.apply(
        {
          type: 'MessageDeleted',
          ...at,
          messageId: 'm-1',
          conversationId: 'c-1',
          deletedBy: 'u-1',
          scope: 'EVERYONE',
        },
        position(50),
      );
      expect(statements.map((s) => s.text)).toEqual([
        expect.stringMatching(/text = '', edited_at = NULL/),
        expect.stringMatching(/DELETE FROM message_edits[\s\S]*m\.deleted_for_everybody/),
      ]);
      expect(statements[1]!.values).toEqual([['m-1']]);
    });

    it('given a deletion for me, then the edits stay (the message is only hidden)', () => {
      const statements = messagesProjection.apply(
        {
          type: 'MessageDeleted',
          ...at,
          messageId: 'm-1',
          conversationId: 'c-1',
          deletedBy: 'u-2',
          scope: 'ME',
        },
        position(50),
      );
      expect(statements.map((s) => s.text).join('\n')).not.toMatch(/message_edits/);
    });
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
