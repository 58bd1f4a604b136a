import {
  applyMessageToSummaries,
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
