import {
  buildPayload,
  decideThread,
  dueAt,
  PREVIEW_MAX,
  topicFor,
  type PendingMessageFacts,
} from '@parley/push';

const rules = { graceMs: 3_000, collapseWindowMs: 60_000 };
const T = 1_700_000_000_000;

const message = (overrides: Partial<PendingMessageFacts> = {}): PendingMessageFacts => ({
  messageId: 'm1',
  senderId: 'ada',
  text: 'Hello Bob',
  seq: 10,
  sentAt: T,
  delivered: false,
  read: false,
  deleted: false,
  ...overrides,
});

describe('collapse: when a thread is due (pure)', () => {
  it('given a first pending message and no notification before, then it is due after the grace', () => {
    expect(dueAt({ firstPendingAt: T, lastNotifiedAt: null }, rules)).toBe(T + 3_000);
  });

  it('given a notification 10 s ago, then the next waits for the end of the collapse window', () => {
    expect(dueAt({ firstPendingAt: T, lastNotifiedAt: T - 10_000 }, rules)).toBe(T + 50_000);
  });

  it('given a notification long ago, then only the grace counts', () => {
    expect(dueAt({ firstPendingAt: T, lastNotifiedAt: T - 3_600_000 }, rules)).toBe(T + 3_000);
  });
});

describe('should-notify: which messages of a due thread are told (pure)', () => {
  const offline = { account: 'ACTIVE', online: false, subscriptions: 1 } as const;

  it('given an offline user and a burst of unread messages, then one notification about all of them, oldest first', () => {
    const burst = [
      message({ messageId: 'm3', seq: 12 }),
      message({ messageId: 'm1', seq: 10 }),
      message({ messageId: 'm2', seq: 11 }),
    ];
    const decision = decideThread({ ...offline, messages: burst });
    expect(decision.notify.map((m) => m.messageId)).toEqual(['m1', 'm2', 'm3']);
    expect(decision.skipped).toEqual([]);
  });

  it('given a user online by presence, then nothing is told and every message says why', () => {
    expect(
      decideThread({
        ...offline,
        online: true,
        subscriptions: 2,
        messages: [message(), message({ messageId: 'm2' })],
      }),
    ).toEqual({
      notify: [],
      skipped: [
        { messageId: 'm1', reason: 'online' },
        { messageId: 'm2', reason: 'online' },
      ],
    });
  });

  it('given no subscription left, then nothing is told', () => {
    expect(decideThread({ ...offline, subscriptions: 0, messages: [message()] }).skipped).toEqual([
      { messageId: 'm1', reason: 'no-subscription' },
    ]);
  });

  it('given messages delivered, read or deleted meanwhile, then only the others are told', () => {
    const decision = decideThread({
      ...offline,
      messages: [
        message({ messageId: 'delivered', delivered: true }),
        message({ messageId: 'read', read: true, delivered: true }),
        message({ messageId: 'deleted', deleted: true }),
        message({ messageId: 'new', seq: 20 }),
      ],
    });
    expect(decision.notify.map((m) => m.messageId)).toEqual(['new']);
    expect(decision.skipped).toEqual([
      { messageId: 'delivered', reason: 'delivered' },
      { messageId: 'read', reason: 'read' },
      { messageId: 'deleted', reason: 'deleted' },
    ]);
  });

  it('given every message read before the grace ended, then no notification', () => {
    expect(decideThread({ ...offline, messages: [message({ read: true })] }).notify).toEqual([]);
  });

  it.each(['BLOCKED', 'DELETED'] as const)(
    'given a recipient whose account is %s, then nothing is told, however unread, and every message says why',
    (account) => {
      expect(
        decideThread({ ...offline, account, messages: [message(), message({ messageId: 'm2', seq: 11 })] }),
      ).toEqual({
        notify: [],
        skipped: [
          { messageId: 'm1', reason: 'account-inactive' },
          { messageId: 'm2', reason: 'account-inactive' },
        ],
      });
    },
  );

  it('given a status the notifier does not know, then nothing is told either (only ACTIVE is)', () => {
    const unknown = 'SUSPENDED' as unknown as 'ACTIVE';
    expect(decideThread({ ...offline, account: unknown, messages: [message()] }).skipped).toEqual([
      { messageId: 'm1', reason: 'account-inactive' },
    ]);
  });

  it('given an inactive account that is also online, then the account is the reason', () => {
    expect(
      decideThread({ ...offline, account: 'BLOCKED', online: true, messages: [message()] }).skipped,
    ).toEqual([{ messageId: 'm1', reason: 'account-inactive' }]);
  });
});

describe('payload building (pure)', () => {
  const names = new Map([
    ['ada', 'Ada Lovelace'],
    ['bob', 'Bob'],
  ]);

  it('given one message in a direct chat, then the sender, the text and the conversation', () => {
    expect(buildPayload({ conversationId: 'c1', messages: [message()], names, previews: true })).toEqual({
      v: 1,
      kind: 'messages',
      conversationId: 'c1',
      messageId: 'm1',
      count: 1,
      title: 'Ada Lovelace',
      body: 'Hello Bob',
      senderName: 'Ada Lovelace',
      sentAt: new Date(T).toISOString(),
      tag: 'parley:c1',
    });
  });

  it('given a burst, then the newest message with how many more', () => {
    const payload = buildPayload({
      conversationId: 'c1',
      messages: [
        message({ messageId: 'm1', text: 'one' }),
        message({ messageId: 'm2', senderId: 'bob', text: 'two' }),
      ],
      names,
      previews: true,
      groupTitle: 'Hiking club',
    });
    expect(payload).toMatchObject({
      messageId: 'm2',
      count: 2,
      title: 'Bob in Hiking club',
      body: 'two (+1 more)',
    });
  });

  it('given previews off, then no text at all: who wrote and how many', () => {
    const one = buildPayload({
      conversationId: 'c1',
      messages: [message({ text: 'secret' })],
      names,
      previews: false,
    });
    const three = buildPayload({
      conversationId: 'c1',
      messages: [message({ text: 'a' }), message({ text: 'b' }), message({ text: 'secret' })],
      names,
      previews: false,
    });
    expect([one.body, three.body]).toEqual(['New message', '3 new messages']);
    expect(JSON.stringify([one, three])).not.toContain('secret');
  });

  it('given a long text with line breaks, then one line of at most PREVIEW_MAX characters (emoji counted once)', () => {
    const text = `line one\nline two ${'😀'.repeat(200)}`;
    const { body } = buildPayload({
      conversationId: 'c1',
      messages: [message({ text })],
      names,
      previews: true,
    });
    expect(body.startsWith('line one line two 😀')).toBe(true);
    expect([...body]).toHaveLength(PREVIEW_MAX);
    expect(body.endsWith('…')).toBe(true);
  });

  it('given an unknown sender, then "Someone"', () => {
    const payload = buildPayload({
      conversationId: 'c1',
      messages: [message({ senderId: 'x' })],
      names,
      previews: true,
    });
    expect(payload.title).toBe('Someone');
  });

  it('given no message, then it refuses (a programming error)', () => {
    expect(() => buildPayload({ conversationId: 'c1', messages: [], names, previews: true })).toThrow(
      RangeError,
    );
  });
});

describe('the Web Push Topic of a conversation (pure)', () => {
  it('is at most 32 base64url characters, the same for the same user and conversation, and hides both ids', () => {
    const topic = topicFor('user-1', 'conversation-1');
    expect(topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    expect(topicFor('user-1', 'conversation-1')).toBe(topic);
    expect(topicFor('user-1', 'conversation-2')).not.toBe(topic);
    expect(topicFor('user-2', 'conversation-1')).not.toBe(topic);
    expect(topic).not.toContain('conversation');
  });
});
