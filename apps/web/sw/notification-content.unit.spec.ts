import {
  clickTarget,
  conversationFromSearch,
  conversationUrl,
  notificationFromPayload,
  parsePushData,
} from './notification-content';

describe('what the service worker shows, and where a click leads (pure)', () => {
  const payload = {
    v: 1,
    kind: 'messages',
    conversationId: 'dm:ada:bob',
    messageId: 'm2',
    count: 2,
    title: 'Ada',
    body: 'See you at 8 (+1 more)',
    senderName: 'Ada',
    sentAt: '2026-03-01T10:00:00.000Z',
    tag: 'parley:dm:ada:bob',
  };

  it('given the notifier’s payload, then its title and body, one tag per conversation, and the conversation to open', () => {
    expect(notificationFromPayload(payload)).toEqual({
      title: 'Ada',
      options: {
        body: 'See you at 8 (+1 more)',
        tag: 'parley:dm:ada:bob',
        data: { conversationId: 'dm:ada:bob', url: '/?conversation=dm%3Aada%3Abob' },
        renotify: true,
        timestamp: Date.parse('2026-03-01T10:00:00.000Z'),
        icon: '/favicon.svg',
      },
    });
  });

  it('given a payload it cannot read, then still a plain notification (a silent push is not allowed)', () => {
    for (const odd of [undefined, 'text', [], { title: 42 }, { conversationId: '../../x' }])
      expect(notificationFromPayload(odd)).toMatchObject({
        title: 'Parley',
        options: { body: 'New message', tag: 'parley', data: null },
      });
    expect(parsePushData(() => JSON.parse('not json'))).toBeUndefined();
  });

  it('given a long title or body, then they are clipped', () => {
    const shown = notificationFromPayload({ ...payload, title: 'x'.repeat(300), body: 'y'.repeat(900) });
    expect([shown.title.length, shown.options.body.length]).toEqual([100, 200]);
  });

  it('given a click target, then the URL opens that conversation and reads back the same id; anything else opens nothing', () => {
    expect(clickTarget({ conversationId: 'g-123' })).toEqual({
      conversationId: 'g-123',
      url: conversationUrl('g-123'),
    });
    expect(conversationFromSearch(new URL(conversationUrl('dm:ada:bob'), 'https://x').search)).toBe(
      'dm:ada:bob',
    );
    expect(clickTarget({ conversationId: 'a b' })).toBeUndefined();
    expect(clickTarget(null)).toBeUndefined();
    expect(conversationFromSearch('?conversation=%3Cscript%3E')).toBeUndefined();
    expect(conversationFromSearch('')).toBeUndefined();
  });
});
