import { inboxProjection, readAppendedItem } from '@parley/delivery';

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
          replyToMessageId: null,
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

  const edit = (offset: number, editId: string, text: string) => ({
    event: {
      type: 'MessageEdited' as const,
      ...at,
      messageId: 'm1',
      conversationId: 'c',
      editedBy: 'a',
      editId,
      text,
    },
    position: position(offset),
  });

  it('given edits, then each is an item of its own (keyed by its edit id) for the other members', () => {
    const statements = inboxProjection.applyChunk!([edit(11, 'e1', 'better'), edit(12, 'e2', 'best')]);
    expect(statements).toHaveLength(1);
    const [kinds, ids, , excluded, , bodies, editIds] = statements[0]!.values as string[][];
    expect(kinds).toEqual(['edited', 'edited']);
    expect(ids).toEqual(['m1', 'm1']);
    expect(excluded).toEqual(['a', 'a']);
    expect(editIds).toEqual(['e1', 'e2']);
    expect(JSON.parse(bodies![1]!)).toEqual({
      kind: 'edited',
      messageId: 'm1',
      conversationId: 'c',
      editId: 'e2',
      text: 'best',
      editedAt: new Date(at.occurredAt).toISOString(),
    });
    // The append skips members who hid the message or hold its deletion already.
    expect(statements[0]!.text).toMatch(/message_hidden/);
    expect(statements[0]!.text).toMatch(/d\.kind = 'deleted'/);
  });

  it('given an edit after its deletion for everybody in the same chunk, then it addresses nobody', () => {
    const deletion = {
      event: {
        type: 'MessageDeleted' as const,
        ...at,
        messageId: 'm1',
        conversationId: 'c',
        deletedBy: 'a',
        scope: 'EVERYONE' as const,
      },
      position: position(12),
    };
    const [statement] = inboxProjection.applyChunk!([
      edit(11, 'e1', 'before'),
      deletion,
      edit(13, 'e2', 'after'),
    ]);
    expect(statement!.values[0]).toEqual(['edited', 'deleted']);
    expect(statement!.values[6]).toEqual(['e1', '']);
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

describe('the rows the inbox append returns', () => {
  const row = {
    user_id: 'u',
    position: '42',
    kind: 'message',
    message_id: 'm',
    conversation_id: 'c',
    sender_id: 's',
    body: { kind: 'message', messageId: 'm' },
  };

  it('given a row as PostgreSQL answers it, when read, then it is an appended item', () => {
    expect(inboxProjection.returned?.(row)).toEqual(row);
    expect(readAppendedItem({ ...row, position: 43, kind: 'deleted', sender_id: null })).toMatchObject({
      position: '43',
      kind: 'deleted',
      sender_id: null,
    });
    expect(readAppendedItem({ ...row, kind: 'edited', sender_id: null })).toMatchObject({ kind: 'edited' });
  });

  it.each([
    ['no user', { ...row, user_id: undefined }],
    ['an unknown kind', { ...row, kind: 'gap' }],
    ['a kind that is no text', { ...row, kind: 3 }],
    ['no body', { ...row, body: null }],
    ['no position', { ...row, position: undefined }],
  ])('given a row with %s, when read, then it is refused', (_what, bad) => {
    expect(() => readAppendedItem(bad)).toThrow('not an appended inbox item');
  });
});
