import {
  applyEdit,
  applyMessageToSummaries,
  markDeleted,
  mergeMessages,
  messageFromWire,
  replaceSummaries,
  withoutSummary,
  type ConversationSummary,
} from './chat-state';

const summary = (conversationId: string, extra: Partial<ConversationSummary> = {}): ConversationSummary => ({
  conversationId,
  kind: 'group',
  memberIds: ['a', 'b'],
  unreadCount: 0,
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

describe('replaceSummaries', () => {
  it('given a conversation the server no longer lists, then it is gone (the user was removed or left)', () => {
    const next = replaceSummaries([summary('g1'), summary('g2')], [summary('g2')]);
    expect(next.map((c) => c.conversationId)).toEqual(['g2']);
  });

  it('given a conversation known only from a message (not listed by the server yet), then it stays until listed', () => {
    const message = { messageId: 'm1', conversationId: 'd1', senderId: 'a', text: 'hi', own: true };
    const [added] = applyMessageToSummaries([], message, () => ({ kind: 'direct', memberIds: ['a'] }));
    expect(replaceSummaries([added!], []).map((c) => c.conversationId)).toEqual(['d1']);
    const [listed] = replaceSummaries([added!], [summary('d1', { kind: 'direct' })]);
    expect(listed!.provisional).toBeUndefined();
    expect(replaceSummaries([listed!], [])).toEqual([]);
  });

  it('given a server list that lags behind the inbox (no last message yet), then the newer local message and its unread count stay', () => {
    const [local] = applyMessageToSummaries(
      [summary('d1', { kind: 'direct' })],
      {
        messageId: 'm1',
        conversationId: 'd1',
        senderId: 'b',
        text: 'hi',
        own: false,
        seq: 7,
        sentAt: '2026-01-02T00:00:00.000Z',
      },
      () => ({ kind: 'direct', memberIds: ['a', 'b'] }),
    );
    const [next] = replaceSummaries([local!], [summary('d1', { kind: 'direct', title: 'from the server' })]);
    expect(next).toEqual(
      expect.objectContaining({
        title: 'from the server',
        unreadCount: 1,
        updatedAt: '2026-01-02T00:00:00.000Z',
      }),
    );
    expect(next!.lastMessage?.messageId).toBe('m1');
    // Once the server has it, the server's entry stands.
    const caughtUp = summary('d1', {
      kind: 'direct',
      unreadCount: 0,
      lastMessage: { ...local!.lastMessage!, seq: 7 },
    });
    expect(replaceSummaries([local!], [caughtUp])[0]!.unreadCount).toBe(0);
  });

  it('given a local read position the server has not seen, then it is kept', () => {
    const next = replaceSummaries([summary('g1', { readSeq: 5 })], [summary('g1', { unreadCount: 2 })]);
    expect(next[0]).toEqual(expect.objectContaining({ readSeq: 5, unreadCount: 2 }));
  });
});

describe('withoutSummary', () => {
  it('drops the conversation, and returns the same list when it was not there', () => {
    const list = [summary('g1'), summary('g2')];
    expect(withoutSummary(list, 'g1').map((c) => c.conversationId)).toEqual(['g2']);
    expect(withoutSummary(list, 'g3')).toBe(list);
  });
});

describe('edits', () => {
  const base = { messageId: 'm1', conversationId: 'c1', senderId: 'a', text: 'tpyo', seq: 3, own: false };
  const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

  it('given an edit, then the message shows its text and when it was written', () => {
    expect(applyEdit(base, { text: 'typo', editedAt: at(5) })).toEqual({
      ...base,
      text: 'typo',
      editedAt: at(5),
    });
  });

  it('given an older edit after a newer one (redelivered, or the inbox behind the answer), then it changes nothing', () => {
    const newer = applyEdit(base, { text: 'second', editedAt: at(9) });
    expect(applyEdit(newer, { text: 'first', editedAt: at(5) })).toBe(newer);
    expect(applyEdit(newer, { text: 'second', editedAt: at(9) })).toBe(newer);
  });

  it('given a message deleted for everybody, then an edit does not bring its text back', () => {
    const [deleted] = markDeleted([applyEdit(base, { text: 'x', editedAt: at(1) })], 'm1');
    expect(deleted).toEqual({ ...base, text: '', deleted: true });
    expect(applyEdit(deleted!, { text: 'back', editedAt: at(9) })).toBe(deleted);
  });

  it('given a history page older than the edit shown, then merging keeps the edit; a newer page wins', () => {
    const shown = [applyEdit(base, { text: 'edited', editedAt: at(5) })];
    expect(mergeMessages(shown, [base])[0]).toMatchObject({ text: 'edited', editedAt: at(5) });
    expect(mergeMessages(shown, [{ ...base, text: 'again', editedAt: at(7) }])[0]).toMatchObject({
      text: 'again',
      editedAt: at(7),
    });
    expect(mergeMessages(shown, [{ ...base, deleted: true, text: '' }])[0]).toEqual({
      ...base,
      text: '',
      deleted: true,
    });
  });

  it('given a wire message with editedAt, then the SDK message has it (and a deleted one has not)', () => {
    const wire = { messageId: 'm1', conversationId: 'c1', seq: 3, senderId: 'a', text: 't', sentAt: at(0) };
    expect(messageFromWire({ ...wire, editedAt: at(4) }, 'b').editedAt).toBe(at(4));
    expect(
      messageFromWire({ ...wire, editedAt: at(4), deleted: true, text: '' }, 'b').editedAt,
    ).toBeUndefined();
  });
});
