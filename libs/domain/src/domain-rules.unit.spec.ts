import fc from 'fast-check';
import {
  DomainError,
  unstorableCharacter,
  characterCount,
  directConversationId,
  parseAccountStatusRequest,
  parseClientId,
  parseDeleteRequest,
  parseDisplayName,
  parseGroupRequest,
  parseInstant,
  parseJsonObject,
  parseLimit,
  parseMessageText,
  parsePassword,
  parseReadRequest,
  parseSendRequest,
  parseSeq,
  parseStatusChange,
  parseUsername,
  takeToken,
} from '@parley/domain';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : 'NOT_A_DOMAIN_ERROR';
  }
};

describe('input rules', () => {
  it('accepts usernames of 3 to 32 of a-z 0-9 _ . - only', () => {
    expect(parseUsername('ada.l_0-x')).toBe('ada.l_0-x');
    for (const bad of ['ab', 'x'.repeat(33), 'Ada', 'ada lovelace', 'ädä', 42, undefined]) {
      expect(codeOf(() => parseUsername(bad))).toBe('INVALID_USERNAME');
    }
    expect(parseUsername('x'.repeat(32))).toHaveLength(32);
  });

  it('accepts passwords of 8 to 256 characters', () => {
    expect(parsePassword('12345678')).toBe('12345678');
    expect(codeOf(() => parsePassword('1234567'))).toBe('INVALID_PASSWORD');
    expect(codeOf(() => parsePassword('x'.repeat(257)))).toBe('INVALID_PASSWORD');
    expect(parsePassword('🔑'.repeat(8))).toHaveLength(16); // eight characters, sixteen UTF-16 units
  });

  it('counts message text in characters, 1 to 4000', () => {
    expect(characterCount('👋🏽')).toBe(2);
    expect(parseMessageText('x'.repeat(4000))).toHaveLength(4000);
    expect(parseMessageText('😀'.repeat(4000))).toHaveLength(8000);
    expect(codeOf(() => parseMessageText('x'.repeat(4001)))).toBe('TEXT_TOO_LONG');
    expect(codeOf(() => parseMessageText('   '))).toBe('INVALID_TEXT');
    expect(codeOf(() => parseMessageText(7))).toBe('INVALID_TEXT');
  });

  it('trims display names and refuses control characters', () => {
    expect(parseDisplayName(undefined)).toBeNull();
    expect(parseDisplayName('  Ada  ')).toBe('Ada');
    expect(codeOf(() => parseDisplayName('a\nb'))).toBe('INVALID_DISPLAY_NAME');
    expect(codeOf(() => parseDisplayName(''))).toBe('INVALID_DISPLAY_NAME');
  });

  describe('given texts PostgreSQL and UTF-8 cannot hold exactly', () => {
    it.each([
      ['text', () => parseMessageText('nul\u0000inside')],
      ['text', () => parseMessageText('half \ud83d of an emoji')],
      ['text', () => parseMessageText('\udc00 low half first')],
      ['title', () => parseGroupRequest({ title: 'a\u0000b', memberIds: [] })],
      ['displayName', () => parseDisplayName('Ada \ud800')],
      ['password', () => parsePassword('password\u0000')],
      ['reason', () => parseAccountStatusRequest({ status: 'blocked', reason: 'x\udfff' })],
    ])('when %s carries one, then it is refused with INVALID_CHARACTER', (field, parse) => {
      expect(codeOf(parse)).toBe('INVALID_CHARACTER');
    });

    it('when the text is any other Unicode (control characters, emoji, pairs), then it is kept as is', () => {
      const text = 'tab\there \u0001\u001f\u007f \uffff \u{1F44B}\u{1F3FD} \u200d';
      expect(parseMessageText(text)).toBe(text);
    });

    it('when any string is tried, then exactly those that survive UTF-8 without NUL are accepted', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
          const survives = Buffer.from(text, 'utf8').toString('utf8') === text && !text.includes('\u0000');
          expect(unstorableCharacter(text) === undefined).toBe(survives);
        }),
        { numRuns: 2_000 },
      );
    });
  });

  it('accepts UUIDs and similar client ids', () => {
    expect(parseClientId('3b241101-e2bb-4255-8caf-4136c566a962', 'messageId')).toBeTruthy();
    expect(codeOf(() => parseClientId('has space', 'messageId'))).toBe('INVALID_ID');
    expect(codeOf(() => parseClientId('', 'messageId'))).toBe('INVALID_ID');
  });
});

describe('directConversationId', () => {
  it('is the same whichever side computes it, and differs between pairs', () => {
    const a = '0d4c-alice';
    const b = '9f1e-bob';
    expect(directConversationId(a, b)).toBe(directConversationId(b, a));
    expect(directConversationId(a, b)).not.toBe(directConversationId(a, 'carol'));
    expect(directConversationId(a, b)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('refuses a conversation with oneself', () => {
    expect(codeOf(() => directConversationId('a', 'a'))).toBe('INVALID_RECIPIENT');
  });
});

describe('takeToken', () => {
  const limit = { capacity: 3, refillPerSecond: 2 };

  it('allows a burst up to capacity, then refuses with the wait until the next token', () => {
    let state = undefined as Parameters<typeof takeToken>[0];
    for (let i = 0; i < 3; i++) {
      const result = takeToken(state, 1_000, limit);
      expect(result.allowed).toBe(true);
      state = result.state;
    }
    const refused = takeToken(state, 1_000, limit);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 500 });
    expect(takeToken(refused.state, 1_250, limit)).toMatchObject({ allowed: false, retryAfterMs: 250 });
    expect(takeToken(refused.state, 1_500, limit).allowed).toBe(true);
  });

  it('never refills beyond capacity', () => {
    const result = takeToken({ tokens: 0, updatedAtMs: 0 }, 3_600_000, limit);
    expect(result.allowed && result.state.tokens).toBe(2);
  });
});

describe('message requests', () => {
  it('parses a send to a conversation or to a recipient, exactly one of them', () => {
    expect(parseSendRequest({ messageId: 'm-1', conversationId: 'c-1', text: 'hi' })).toEqual({
      messageId: 'm-1',
      target: { kind: 'conversation', conversationId: 'c-1' },
      text: 'hi',
    });
    expect(parseSendRequest({ messageId: 'm-1', recipientId: 'u-2', text: 'hi' }).target).toEqual({
      kind: 'recipient',
      recipientId: 'u-2',
    });
    expect(
      codeOf(() => parseSendRequest({ messageId: 'm', conversationId: 'c', recipientId: 'u', text: 'x' })),
    ).toBe('INVALID_TARGET');
    expect(codeOf(() => parseSendRequest({ messageId: 'm', text: 'x' }))).toBe('INVALID_TARGET');
    expect(codeOf(() => parseSendRequest({ conversationId: 'c', text: 'x' }))).toBe('INVALID_ID');
    expect(codeOf(() => parseSendRequest({ messageId: 'm', conversationId: 'c', text: ' ' }))).toBe(
      'INVALID_TEXT',
    );
  });

  it('refuses bodies that are not JSON objects', () => {
    expect(codeOf(() => parseJsonObject('{"a":'))).toBe('MALFORMED_JSON');
    expect(codeOf(() => parseJsonObject('[1]'))).toBe('INVALID_BODY');
    expect(codeOf(() => parseJsonObject('null'))).toBe('INVALID_BODY');
    expect(parseJsonObject(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
  });

  it('parses reads, deletes and the PATCH status', () => {
    expect(parseReadRequest({ conversationId: 'c', seq: 7 })).toEqual({ conversationId: 'c', seq: 7 });
    expect(codeOf(() => parseReadRequest({ conversationId: 'c', seq: -1 }))).toBe('INVALID_SEQ');
    expect(codeOf(() => parseReadRequest({ conversationId: 'c', seq: 1.5 }))).toBe('INVALID_SEQ');
    expect(parseDeleteRequest({ messageId: 'm', scope: 'everyone' })).toEqual({
      messageId: 'm',
      scope: 'EVERYONE',
    });
    expect(codeOf(() => parseDeleteRequest({ messageId: 'm', scope: 'all' }))).toBe('INVALID_SCOPE');
    expect(parseStatusChange({ status: 'deleted_for_sender' })).toBe('ME');
    expect(parseStatusChange({ status: 'read' })).toBe('read');
    expect(codeOf(() => parseStatusChange({ status: 'delivered' }))).toBe('INVALID_STATUS');
  });

  it('parses groups: a title and distinct member ids', () => {
    expect(parseGroupRequest({ title: ' Team ', memberIds: ['a', 'b', 'a'] })).toEqual({
      title: 'Team',
      memberIds: ['a', 'b'],
    });
    expect(codeOf(() => parseGroupRequest({ title: 'x'.repeat(101), memberIds: [] }))).toBe('INVALID_TITLE');
    expect(codeOf(() => parseGroupRequest({ title: 'x', memberIds: 'a' }))).toBe('INVALID_MEMBERS');
  });

  it('parses paging and time parameters', () => {
    expect(parseSeq('42', 'beforeSeq')).toBe(42);
    expect(codeOf(() => parseSeq('4x', 'beforeSeq'))).toBe('INVALID_SEQ');
    expect(parseLimit(undefined, 50, 200)).toBe(50);
    expect(parseLimit('200', 50, 200)).toBe(200);
    expect(codeOf(() => parseLimit('0', 50, 200))).toBe('INVALID_LIMIT');
    expect(parseInstant('2026-01-31T12:00:00+01:00', 'since').toISOString()).toBe('2026-01-31T11:00:00.000Z');
    expect(codeOf(() => parseInstant('2026-01-31', 'since'))).toBe('INVALID_TIME');
  });

  it('parses the admin status call', () => {
    expect(parseAccountStatusRequest({ status: 'blocked', reason: ' spam ' })).toEqual({
      status: 'BLOCKED',
      reason: 'spam',
    });
    expect(parseAccountStatusRequest({ status: 'active' })).toEqual({ status: 'ACTIVE', reason: null });
    expect(codeOf(() => parseAccountStatusRequest({ status: 'banned' }))).toBe('INVALID_STATUS');
  });
});
