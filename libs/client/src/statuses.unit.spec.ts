import { applyReceipt, summarise } from './statuses';

const receipt = (
  recipientId: string | null,
  status: 'sent' | 'pending' | 'failed' | 'delivered' | 'read',
) => ({
  messageId: 'm',
  conversationId: 'c',
  recipientId,
  status,
  at: '2026-01-01T00:00:00.000Z',
});

describe('message statuses', () => {
  it('given read then a late delivered receipt, then the recipient stays read', () => {
    const after = applyReceipt(applyReceipt({}, receipt('bob', 'read')), receipt('bob', 'delivered'));
    expect(after).toEqual({ bob: 'read' });
  });

  it('given failed then delivered (a late ACK), then the recipient is delivered', () => {
    expect(applyReceipt({ bob: 'failed' }, receipt('bob', 'delivered'))).toEqual({ bob: 'delivered' });
  });

  it('given a group sent receipt (no recipient), then nothing changes', () => {
    const statuses = { bob: 'delivered' as const };
    expect(applyReceipt(statuses, receipt(null, 'sent'))).toBe(statuses);
  });

  it('given a group where one member read and one has no receipt yet, then the message is sent', () => {
    expect(summarise({ bob: 'read' }, ['bob', 'carol'])).toBe('sent');
    expect(summarise({ bob: 'read', carol: 'delivered' }, ['bob', 'carol'])).toBe('delivered');
  });

  it('given the server said delivered and no receipt since, then the summary does not move back', () => {
    expect(summarise({}, ['bob'], 'delivered')).toBe('delivered');
  });
});
