import type { ChatMessage } from '@parley/client';
import { dayLabel, tickOf, timeline, typingLine } from './timeline';

const at = (iso: string, id: string): ChatMessage => ({
  messageId: id,
  conversationId: 'c',
  senderId: 'u',
  text: id,
  own: false,
  sentAt: iso,
});

describe('timeline', () => {
  const now = new Date(2026, 4, 20, 12, 0);

  it('given messages over three days, then a separator comes before the first of each day', () => {
    const items = timeline(
      [
        at(new Date(2026, 4, 18, 9).toISOString(), 'a'),
        at(new Date(2026, 4, 19, 9).toISOString(), 'b'),
        at(new Date(2026, 4, 19, 22).toISOString(), 'c'),
        at(new Date(2026, 4, 20, 8).toISOString(), 'd'),
      ],
      now,
      'en-GB',
    );
    expect(items.map((i) => (i.kind === 'day' ? i.label : i.message.messageId))).toEqual([
      'Monday 18 May',
      'a',
      'Yesterday',
      'b',
      'c',
      'Today',
      'd',
    ]);
  });

  it('given a message still in the outbox (no time yet), then it belongs to today', () => {
    const sending: ChatMessage = { messageId: 'x', conversationId: 'c', senderId: 'u', text: 'x', own: true };
    expect(timeline([sending], now).map((i) => i.kind)).toEqual(['day', 'message']);
  });

  it('gives the year only for another year', () => {
    expect(dayLabel(new Date(2025, 11, 1), now, 'en-GB')).toBe('Monday, 1 December 2025');
  });
});

describe('tickOf', () => {
  it('says each status in words', () => {
    expect(
      (['sending', 'sent', 'pending', 'delivered', 'read', 'failed'] as const).map((s) => tickOf(s).label),
    ).toEqual([
      'Sending',
      'Sent',
      'Sent, waiting for the recipient to come online',
      'Delivered',
      'Read',
      'Not delivered',
    ]);
  });
});

describe('typingLine', () => {
  it('names one or two typists and counts more', () => {
    expect(typingLine([])).toBe('');
    expect(typingLine(['Ada'])).toBe('Ada is typing…');
    expect(typingLine(['Ada', 'Bob'])).toBe('Ada and Bob are typing…');
    expect(typingLine(['Ada', 'Bob', 'Cy'])).toBe('3 people are typing…');
  });
});
