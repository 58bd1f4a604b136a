import {
  DomainError,
  EDIT_WINDOW_MS_DEFAULT,
  checkEdit,
  editWindowOpen,
  parseEditRequest,
  type EditableMessage,
} from '@parley/domain';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? `${error.kind} ${error.code}` : 'NOT_A_DOMAIN_ERROR';
  }
};

const HOUR = 3_600_000;
const sentAtMs = Date.UTC(2026, 0, 31, 12);
const message: EditableMessage = { messageId: 'm1', senderId: 'ada', sentAtMs, deletedForEverybody: false };

describe('the edit window', () => {
  it('given the default, then it is 24 hours', () => {
    expect(EDIT_WINDOW_MS_DEFAULT).toBe(24 * HOUR);
  });

  it.each([
    ['at the send', 0, true],
    ['a moment later', 1, true],
    ['the last millisecond', 24 * HOUR - 1, true],
    ['exactly 24 h later', 24 * HOUR, false],
    ['a day and a second later', 24 * HOUR + 1_000, false],
    // Another node's clock may read a little before the send: still inside.
    ['a clock a second behind', -1_000, true],
  ])('given a 24 h window, when editing %s, then the window is open: %s', (_when, after, open) => {
    expect(editWindowOpen(sentAtMs, sentAtMs + after, 24 * HOUR)).toBe(open);
  });

  it('given a short window (as the tests configure), then it closes as soon', () => {
    expect(editWindowOpen(sentAtMs, sentAtMs + 999, 1_000)).toBe(true);
    expect(editWindowOpen(sentAtMs, sentAtMs + 1_000, 1_000)).toBe(false);
  });
});

describe('the edit rule', () => {
  const now = sentAtMs + HOUR;

  it('given the sender within the window, when editing, then it is allowed', () => {
    expect(codeOf(() => checkEdit(message, 'ada', now, 24 * HOUR))).toBeUndefined();
  });

  it('given another member, when editing, then 403 NOT_SENDER, whatever the message state', () => {
    expect(codeOf(() => checkEdit(message, 'bob', now, 24 * HOUR))).toBe('forbidden NOT_SENDER');
    // A non-sender learns nothing more: not that it was deleted, nor that the window closed.
    const deletedAndOld = { ...message, deletedForEverybody: true };
    expect(codeOf(() => checkEdit(deletedAndOld, 'bob', sentAtMs + 48 * HOUR, 24 * HOUR))).toBe(
      'forbidden NOT_SENDER',
    );
  });

  it('given a message deleted for everybody, when its sender edits, then 409 MESSAGE_DELETED (even inside the window)', () => {
    expect(codeOf(() => checkEdit({ ...message, deletedForEverybody: true }, 'ada', now, 24 * HOUR))).toBe(
      'conflict MESSAGE_DELETED',
    );
  });

  it('given the window closed, when the sender edits, then 409 EDIT_WINDOW_CLOSED saying how long it is', () => {
    expect(codeOf(() => checkEdit(message, 'ada', sentAtMs + 25 * HOUR, 24 * HOUR))).toBe(
      'conflict EDIT_WINDOW_CLOSED',
    );
    expect(() => checkEdit(message, 'ada', sentAtMs + 2_000, 1_500)).toThrow('up to 1500 ms after');
    expect(() => checkEdit(message, 'ada', sentAtMs + 25 * HOUR, 24 * HOUR)).toThrow('up to 24 h after');
  });
});

describe('the edit request', () => {
  it('given an HTTP body, then the messageId comes from the path and the text is kept as sent', () => {
    expect(parseEditRequest({ text: ' new text ' }, 'm1')).toEqual({ messageId: 'm1', text: ' new text ' });
    expect(parseEditRequest({ text: 'x', editId: 'e-1' }, 'm1')).toEqual({
      messageId: 'm1',
      text: 'x',
      editId: 'e-1',
    });
    expect(parseEditRequest({ text: 'x', editId: null }, 'm1')).toEqual({ messageId: 'm1', text: 'x' });
  });

  it('given a STOMP body, then the messageId comes from the body', () => {
    expect(parseEditRequest({ messageId: 'm2', text: 'y' })).toEqual({ messageId: 'm2', text: 'y' });
    expect(codeOf(() => parseEditRequest({ text: 'y' }))).toBe('invalid INVALID_ID');
  });

  it.each([
    ['no text', {}, 'invalid INVALID_TEXT'],
    ['empty text', { text: '' }, 'invalid INVALID_TEXT'],
    ['only white space', { text: ' \n\t' }, 'invalid INVALID_TEXT'],
    ['a number', { text: 42 }, 'invalid INVALID_TEXT'],
    ['4,001 characters', { text: 'x'.repeat(4_001) }, 'invalid TEXT_TOO_LONG'],
    ['a NUL', { text: 'a\u0000b' }, 'invalid INVALID_CHARACTER'],
    ['a bad editId', { text: 'ok', editId: 'has spaces' }, 'invalid INVALID_ID'],
    ['an editId that is no text', { text: 'ok', editId: 7 }, 'invalid INVALID_ID'],
  ])('given %s, then the send rules refuse it', (_what, body, code) => {
    expect(codeOf(() => parseEditRequest(body, 'm1'))).toBe(code);
  });

  it('given 4,000 emoji, then they count as 4,000 characters, as for a send', () => {
    expect(parseEditRequest({ text: '😀'.repeat(4_000) }, 'm1').text).toHaveLength(8_000);
  });
});
