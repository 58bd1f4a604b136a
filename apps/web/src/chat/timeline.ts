// What the chat view shows, as pure functions: the messages with a separator before each new day,
// the status ticks and their words, times and days in the reader's locale.
import type { ChatMessage, MessageState } from '@parley/client';

export type TimelineItem =
  | { readonly kind: 'day'; readonly key: string; readonly label: string }
  | { readonly kind: 'message'; readonly key: string; readonly message: ChatMessage };

/** The local calendar day of a moment, as `YYYY-MM-DD`. */
export function dayKey(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** "Today", "Yesterday", or the date (with the year when it is not this one). */
export function dayLabel(date: Date, now: Date, locale?: string): string {
  const key = dayKey(date);
  if (key === dayKey(now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (key === dayKey(yesterday)) return 'Yesterday';
  return date.toLocaleDateString(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(date.getFullYear() !== now.getFullYear() ? { year: 'numeric' } : {}),
  });
}

/** The messages in order, with a day separator before the first message of each day. */
export function timeline(messages: readonly ChatMessage[], now: Date, locale?: string): TimelineItem[] {
  const items: TimelineItem[] = [];
  let lastDay: string | undefined;
  for (const message of messages) {
    // A message still in the outbox has no time from the server yet: it belongs to today.
    const sent = message.sentAt ? new Date(message.sentAt) : now;
    const day = dayKey(sent);
    if (day !== lastDay) {
      items.push({ kind: 'day', key: `day-${day}`, label: dayLabel(sent, now, locale) });
      lastDay = day;
    }
    items.push({ kind: 'message', key: message.messageId, message });
  }
  return items;
}

/** The tick of an own message and the words a screen reader says for it. */
export function tickOf(status: MessageState | undefined): {
  readonly symbol: string;
  readonly label: string;
} {
  switch (status) {
    case 'sending':
      return { symbol: '🕓', label: 'Sending' };
    case 'pending':
      return { symbol: '✓', label: 'Sent, waiting for the recipient to come online' };
    case 'delivered':
      return { symbol: '✓✓', label: 'Delivered' };
    case 'read':
      return { symbol: '✓✓', label: 'Read' };
    case 'failed':
      return { symbol: '!', label: 'Not delivered' };
    default:
      return { symbol: '✓', label: 'Sent' };
  }
}

export function timeOf(sentAt: string | undefined, locale?: string): string {
  if (!sentAt) return '';
  return new Date(sentAt).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

/** "Ada is typing…", "Ada and Bob are typing…", "3 people are typing…", or nothing. */
export function typingLine(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}
