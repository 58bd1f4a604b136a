// The notifier's rules, pure: when a conversation's notification is due (a burst collapses into
// one), which pending messages still deserve one, and what the notification says. The clock is an
// argument; the notifier gives its own.
import { createHash } from 'node:crypto';
import type { AccountStatus } from '@parley/domain';

/** How the notifier paces one user's notifications in one conversation. */
export interface CollapseRules {
  /** Wait this long after the first pending message: a burst collapses, a quick reconnect or read wins. */
  readonly graceMs: number;
  /** At most one notification per conversation per this window; what comes meanwhile waits for its end. */
  readonly collapseWindowMs: number;
}

/** A user's thread (user, conversation) as the rule needs it: ms since the epoch. */
export interface ThreadTiming {
  /** The oldest message of the thread not yet notified nor dropped. */
  readonly firstPendingAt: number;
  readonly lastNotifiedAt: number | null;
}

/**
 * When the thread's next notification goes out: a grace after its oldest pending message, and not
 * within the collapse window after the previous one. Everything that arrives until then is in it.
 */
export function dueAt(thread: ThreadTiming, rules: CollapseRules): number {
  const afterGrace = thread.firstPendingAt + rules.graceMs;
  return thread.lastNotifiedAt === null
    ? afterGrace
    : Math.max(afterGrace, thread.lastNotifiedAt + rules.collapseWindowMs);
}

/** What the read models say about one pending message for its recipient, when it is due. */
export interface PendingMessageFacts {
  readonly messageId: string;
  readonly senderId: string;
  /** From the recipient's inbox item (absent when the item is gone: retention). */
  readonly text: string | null;
  readonly seq: number | null;
  readonly sentAt: number | null;
  /** A device of the recipient ACKed it (the inbox), or the sender sees it delivered or read. */
  readonly delivered: boolean;
  /** The recipient's read position in the conversation covers it. */
  readonly read: boolean;
  /** Deleted for everybody, or hidden by the recipient. */
  readonly deleted: boolean;
}

/** Why a pending message gets no notification. */
export type SkipReason = 'account-inactive' | 'online' | 'delivered' | 'read' | 'deleted' | 'no-subscription';

export interface ThreadDecision {
  /** The messages one notification is about, oldest first; none: no notification. */
  readonly notify: readonly PendingMessageFacts[];
  /** The others, each with why. */
  readonly skipped: readonly { readonly messageId: string; readonly reason: SkipReason }[];
}

function skipReason(message: PendingMessageFacts): SkipReason | undefined {
  if (message.deleted) return 'deleted';
  if (message.read) return 'read';
  if (message.delivered) return 'delivered';
  return undefined;
}

/**
 * Whether a due thread is told, and about which messages: never a user whose account is not active
 * (blocked or deleted: nothing of Parley reaches them, a notification neither), nor one online by
 * presence (their devices have the messages), nor one without subscriptions, nor for a message
 * delivered, read or deleted meanwhile. What remains (one or many) makes one notification.
 */
export function decideThread(facts: {
  /** The recipient's account, as the users read model has it. */
  readonly account: AccountStatus;
  readonly online: boolean;
  readonly subscriptions: number;
  readonly messages: readonly PendingMessageFacts[];
}): ThreadDecision {
  const all = (reason: SkipReason) => ({
    notify: [],
    skipped: facts.messages.map((m) => ({ messageId: m.messageId, reason })),
  });
  // Anything but ACTIVE, a status this code does not know included: told nothing.
  if (facts.account !== 'ACTIVE') return all('account-inactive');
  if (facts.online) return all('online');
  if (facts.subscriptions === 0) return all('no-subscription');
  const skipped: { messageId: string; reason: SkipReason }[] = [];
  const notify: PendingMessageFacts[] = [];
  for (const message of facts.messages) {
    const reason = skipReason(message);
    if (reason) skipped.push({ messageId: message.messageId, reason });
    else notify.push(message);
  }
  const order = (m: PendingMessageFacts) => m.seq ?? Number.MAX_SAFE_INTEGER;
  return { notify: notify.sort((a, b) => order(a) - order(b)), skipped };
}

/** Characters of a message shown in a preview (code points). */
export const PREVIEW_MAX = 120;
/** Characters of a sender's or group's name in the title. */
const NAME_MAX = 64;

const clip = (text: string, max: number): string => {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
};

/** Line breaks and other control characters become spaces: a notification shows one short text. */
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

/**
 * The notification's payload (JSON, encrypted for each subscription): the service worker shows
 * `title` and `body` and opens `conversationId` on click. Version 1 of this shape (`v`).
 */
export interface NotificationPayload {
  readonly v: 1;
  readonly kind: 'messages';
  readonly conversationId: string;
  /** The newest message it is about. */
  readonly messageId: string;
  /** How many messages it is about. */
  readonly count: number;
  /** The sender's display name (and the group's title in a group). */
  readonly title: string;
  /** The newest message's text, clipped (previews on), or how many new messages (previews off). */
  readonly body: string;
  readonly senderName: string;
  readonly sentAt: string | null;
  /** The same for every notification of the conversation: one replaces the other on the device. */
  readonly tag: string;
}

export interface PayloadFacts {
  readonly conversationId: string;
  /** A group's title; absent for a direct conversation. */
  readonly groupTitle?: string;
  /** The messages the notification is about, oldest first (at least one). */
  readonly messages: readonly PendingMessageFacts[];
  /** Display names (or usernames) by user id. */
  readonly names: ReadonlyMap<string, string>;
  readonly previews: boolean;
}

const countText = (count: number) => (count === 1 ? 'New message' : `${count} new messages`);

/** The payload for a thread's messages: who wrote the newest, what (if previews are on), how many. */
export function buildPayload(facts: PayloadFacts): NotificationPayload {
  const newest = facts.messages[facts.messages.length - 1];
  if (!newest) throw new RangeError('a notification is about at least one message');
  const senderName = clip(oneLine(facts.names.get(newest.senderId) ?? 'Someone'), NAME_MAX);
  const count = facts.messages.length;
  const title = facts.groupTitle
    ? `${senderName} in ${clip(oneLine(facts.groupTitle), NAME_MAX)}`
    : senderName;
  const text = newest.text === null ? '' : clip(oneLine(newest.text), PREVIEW_MAX);
  const preview = facts.previews && text !== '' ? (count > 1 ? `${text} (+${count - 1} more)` : text) : '';
  return {
    v: 1,
    kind: 'messages',
    conversationId: facts.conversationId,
    messageId: newest.messageId,
    count,
    title,
    body: preview || countText(count),
    senderName,
    sentAt: newest.sentAt === null ? null : new Date(newest.sentAt).toISOString(),
    tag: `parley:${facts.conversationId}`,
  };
}

/**
 * The Web Push `Topic` of a conversation (RFC 8030 §5.4): a push service keeps only the newest
 * undelivered message per topic, so a device that was away gets one notification per conversation.
 * At most 32 base64url characters, and no conversation id shown to the push service.
 */
export function topicFor(userId: string, conversationId: string): string {
  return createHash('sha256').update(`${userId}\0${conversationId}`).digest('base64url').slice(0, 32);
}
