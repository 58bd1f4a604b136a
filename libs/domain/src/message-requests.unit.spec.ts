import {
  DomainError,
  parseAccountStatusRequest,
  parseDeleteRequest,
  parseGroupRequest,
  parseInstant,
  parseJsonObject,
  parseLimit,
  parseReadRequest,
  parseSendRequest,
  parseSeq,
  parseStatusChange,
} from '@parley/domain';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : 'NOT_A_DOMAIN_ERROR';
  }
};

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
