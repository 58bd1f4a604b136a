// Pure reducers of the chat state the client shows: messages of a conversation, and the list of
// conversations with their last message and unread count. The client feeds them what HTTP answers,
// what the inbox pushes, the receipts, and the outbox; each returns a new value (or the same one when
// nothing changed), so the stores built on them can be bound to a UI as they are.
import type { DeliveryStatus, WireConversation, WireEdit, WireMessage, WireReceipt } from './protocol';
import { applyReceipt, furthest, summarise, type RecipientStatuses } from './statuses';

/** A message's state for its sender: `sending` while it is in the outbox, then its delivery status. */
export type MessageState = 'sending' | DeliveryStatus;

/** A message as the app shows it. */
export interface ChatMessage {
  readonly messageId: string;
  readonly conversationId: string;
  readonly senderId: string;
  readonly text: string;
  /** The position in the conversation; absent while the message is still in the outbox. */
  readonly seq?: number;
  readonly sentAt?: string;
  /** Deleted for everybody: the text is gone. */
  readonly deleted?: boolean;
  /** Edited by its sender: when the shown text was written (show the message as "edited"). */
  readonly editedAt?: string;
  /** The signed-in user sent it. */
  readonly own: boolean;
  /** For own messages: `sending`, then the least advanced status among the recipients. */
  readonly status?: MessageState;
  /** For own messages: status per recipient, as receipts told it. */
  readonly recipients?: RecipientStatuses;
  /** For own messages refused for good (`TEXT_TOO_LONG`, ...): why. `status` is then `failed`. */
  readonly failure?: { readonly code: string; readonly message: string };
}

/** A conversation in the list. */
export interface ConversationSummary {
  readonly conversationId: string;
  readonly kind: 'direct' | 'group';
  readonly title?: string;
  /** A group's creator, who alone removes others (PROTOCOL §2.3); unknown while `provisional`. */
  readonly createdBy?: string;
  readonly memberIds: readonly string[];
  readonly lastMessage?: ChatMessage;
  readonly unreadCount: number;
  readonly updatedAt: string;
  /** The highest `seq` this device marked read. */
  readonly readSeq?: number;
  /** Known only from a message so far: the server's list has not shown it yet. */
  readonly provisional?: boolean;
}

export function messageFromWire(message: WireMessage, selfId: string): ChatMessage {
  const own = message.senderId === selfId;
  return {
    messageId: message.messageId,
    conversationId: message.conversationId,
    senderId: message.senderId,
    text: message.text,
    seq: message.seq,
    sentAt: message.sentAt,
    ...(message.deleted ? { deleted: true } : {}),
    ...(message.editedAt !== undefined && !message.deleted ? { editedAt: message.editedAt } : {}),
    own,
    ...(own ? { status: message.status ?? 'sent' } : {}),
  };
}

/**
 * Whether an edit (or a copy of the message) written at `editedAt` is newer than what `current`
 * shows: a text never edited is the oldest; the same time counts as newer, so a repeat is harmless.
 */
function isNewerEdit(editedAt: string | undefined, current: ChatMessage): boolean {
  if (editedAt === undefined) return current.editedAt === undefined;
  return current.editedAt === undefined || editedAt >= current.editedAt;
}

/**
 * Two views of one message, joined: a `seq` wins over none, statuses only move forward, the text of
 * the latest edit wins (a history page read before an edit arrived does not undo it).
 */
function join(older: ChatMessage, newer: ChatMessage): ChatMessage {
  const recipients = { ...(older.recipients ?? {}) };
  for (const [id, status] of Object.entries(newer.recipients ?? {}))
    recipients[id] = furthest(recipients[id], status);
  const status =
    newer.status === undefined || older.status === undefined
      ? (newer.status ?? older.status)
      : newer.status === 'sending'
        ? older.status
        : older.status === 'sending'
          ? newer.status
          : furthest(older.status, newer.status);
  const deleted = older.deleted === true || newer.deleted === true;
  const latest = isNewerEdit(newer.editedAt, older) ? newer : older;
  const { editedAt: _olderEdit, ...olderRest } = older;
  const { editedAt: _newerEdit, ...newerRest } = newer;
  return {
    ...olderRest,
    ...newerRest,
    // A deletion for everybody erases the text and that it was edited.
    text: deleted ? '' : latest.text,
    ...(!deleted && latest.editedAt !== undefined ? { editedAt: latest.editedAt } : {}),
    seq: newer.seq ?? older.seq,
    sentAt: newer.sentAt ?? older.sentAt,
    ...(deleted ? { deleted: true } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(Object.keys(recipients).length > 0 ? { recipients } : {}),
  };
}

/** Ascending `seq`; messages still without one (in the outbox) after all others, in their order. */
function bySeq(messages: ChatMessage[]): ChatMessage[] {
  const placed = messages.filter((m) => m.seq !== undefined).sort((a, b) => a.seq! - b.seq!);
  return [...placed, ...messages.filter((m) => m.seq === undefined)];
}

/** Adds or updates messages by `messageId` (the one way duplicates are dropped). */
export function mergeMessages(
  existing: readonly ChatMessage[],
  incoming: readonly ChatMessage[],
): readonly ChatMessage[] {
  if (incoming.length === 0) return existing;
  const byId = new Map(existing.map((m) => [m.messageId, m]));
  for (const message of incoming) {
    const known = byId.get(message.messageId);
    byId.set(message.messageId, known ? join(known, message) : message);
  }
  return bySeq([...byId.values()]);
}

/** A receipt applied to the sender's copy of the message it is about (PROTOCOL §3.5). */
export function applyReceiptTo(
  messages: readonly ChatMessage[],
  receipt: WireReceipt,
  recipientIds: readonly string[],
): readonly ChatMessage[] {
  let changed = false;
  const next = messages.map((message) => {
    if (message.messageId !== receipt.messageId) return message;
    const recipients = applyReceipt(message.recipients ?? {}, receipt);
    const seq = message.seq ?? receipt.seq;
    const fallback = message.status === undefined || message.status === 'sending' ? 'sent' : message.status;
    const status = summarise(recipients, recipientIds, fallback);
    if (recipients === message.recipients && seq === message.seq && status === message.status) return message;
    changed = true;
    return { ...message, recipients, status, ...(seq !== undefined ? { seq } : {}) };
  });
  return changed ? bySeq(next) : messages;
}

/** Changes one message by `messageId` (`undefined` from `change` leaves it as it is). */
export function updateMessage(
  messages: readonly ChatMessage[],
  messageId: string,
  change: (message: ChatMessage) => ChatMessage | undefined,
): readonly ChatMessage[] {
  const index = messages.findIndex((m) => m.messageId === messageId);
  const updated = index < 0 ? undefined : change(messages[index]!);
  if (updated === undefined || updated === messages[index]) return messages;
  const next = [...messages];
  next[index] = updated;
  return bySeq(next);
}

/** A message deleted for everybody keeps its place, without its text (nor that it was edited). */
export function markDeleted(messages: readonly ChatMessage[], messageId: string): readonly ChatMessage[] {
  const index = messages.findIndex((m) => m.messageId === messageId);
  if (index < 0 || messages[index]!.deleted) return messages;
  const next = [...messages];
  const { editedAt: _gone, ...kept } = messages[index]!;
  next[index] = { ...kept, deleted: true, text: '' };
  return next;
}

/**
 * An edit applied to a message (PROTOCOL §2.7): the new text and when it was written, unless the
 * message is deleted for everybody or shows a later edit already. Edits come at least once and may
 * come by several ways (the inbox, the sender's own answer, a history page): applying one twice, or
 * an older one after a newer, changes nothing. An edit of a message not held changes nothing.
 */
export function applyEdit(message: ChatMessage, edit: Pick<WireEdit, 'text' | 'editedAt'>): ChatMessage {
  if (message.deleted || !isNewerEdit(edit.editedAt, message)) return message;
  if (message.text === edit.text && message.editedAt === edit.editedAt) return message;
  return { ...message, text: edit.text, editedAt: edit.editedAt };
}

/** A message deleted for the caller alone disappears from their views. */
export function withoutMessage(messages: readonly ChatMessage[], messageId: string): readonly ChatMessage[] {
  const next = messages.filter((m) => m.messageId !== messageId);
  return next.length === messages.length ? messages : next;
}

/** Other members' messages after `readSeq`, not deleted: what PROTOCOL §2.1 calls unread. */
export function countUnread(messages: readonly ChatMessage[], readSeq: number | undefined): number {
  return messages.filter(
    (m) => !m.own && !m.deleted && m.seq !== undefined && (readSeq === undefined || m.seq > readSeq),
  ).length;
}

export function summaryFromWire(conversation: WireConversation, selfId: string): ConversationSummary {
  return {
    conversationId: conversation.conversationId,
    kind: conversation.kind,
    ...(conversation.title !== undefined ? { title: conversation.title } : {}),
    ...(conversation.createdBy !== undefined ? { createdBy: conversation.createdBy } : {}),
    memberIds: conversation.memberIds,
    ...(conversation.lastMessage ? { lastMessage: messageFromWire(conversation.lastMessage, selfId) } : {}),
    unreadCount: conversation.unreadCount,
    updatedAt: conversation.updatedAt,
  };
}

/** Newest activity first, ties by `conversationId` descending (PROTOCOL §2.1). */
export function sortSummaries(list: readonly ConversationSummary[]): readonly ConversationSummary[] {
  return [...list].sort((a, b) =>
    a.updatedAt === b.updatedAt
      ? b.conversationId.localeCompare(a.conversationId)
      : a.updatedAt < b.updatedAt
        ? 1
        : -1,
  );
}

/**
 * The server's list replaces what is known, keeping a local read position the server has not seen
 * yet. A conversation the server no longer lists is gone (the user left or was removed from the
 * group), unless the server has not listed it yet: it is known only from a message (the list's read
 * model may follow the inbox by a moment, and a first direct message may still be in the outbox).
 */
export function replaceSummaries(
  current: readonly ConversationSummary[],
  fresh: readonly ConversationSummary[],
): readonly ConversationSummary[] {
  const local = new Map(current.map((c) => [c.conversationId, c]));
  const merged = fresh.map((c) => {
    const known = local.get(c.conversationId);
    local.delete(c.conversationId);
    const read = known?.readSeq !== undefined ? { ...c, readSeq: known.readSeq } : c;
    return known && isBehind(c, known) ? keepNewer(read, known) : read;
  });
  const notListedYet = [...local.values()].filter((c) => c.provisional);
  return sortSummaries([...merged, ...notListedYet]);
}

/**
 * The server's list is read from a read model that may follow the inbox by a moment: it can answer
 * a conversation without the message this client already shows (or before it counted it unread).
 */
function isBehind(server: ConversationSummary, local: ConversationSummary): boolean {
  const mine = local.lastMessage;
  if (!mine) return false;
  const theirs = server.lastMessage;
  if (mine.seq === undefined) return mine.own && theirs?.messageId !== mine.messageId;
  return theirs?.seq === undefined || theirs.seq < mine.seq;
}

/** The server's entry with what this client knows newer: the last message, its time, its unread count. */
function keepNewer(server: ConversationSummary, local: ConversationSummary): ConversationSummary {
  const readAll =
    server.readSeq !== undefined &&
    local.lastMessage?.seq !== undefined &&
    server.readSeq >= local.lastMessage.seq;
  return {
    ...server,
    ...(local.lastMessage ? { lastMessage: local.lastMessage } : {}),
    updatedAt: local.updatedAt > server.updatedAt ? local.updatedAt : server.updatedAt,
    unreadCount: readAll ? 0 : Math.max(server.unreadCount, local.unreadCount),
  };
}

/** A conversation the user lost (left, or removed from the group) leaves the list. */
export function withoutSummary(
  list: readonly ConversationSummary[],
  conversationId: string,
): readonly ConversationSummary[] {
  const next = list.filter((c) => c.conversationId !== conversationId);
  return next.length === list.length ? list : next;
}

/**
 * A message that arrived (through the inbox, or sent by this user): it becomes the conversation's
 * last message when it is newer, and an unread one when another member sent it after the read
 * position. A conversation not in the list yet is added with what is known (`kind` from `guess`).
 */
export function applyMessageToSummaries(
  list: readonly ConversationSummary[],
  message: ChatMessage,
  guess: () => Pick<ConversationSummary, 'kind' | 'memberIds'>,
): readonly ConversationSummary[] {
  const index = list.findIndex((c) => c.conversationId === message.conversationId);
  const known: ConversationSummary =
    index >= 0
      ? list[index]!
      : {
          conversationId: message.conversationId,
          ...guess(),
          provisional: true,
          unreadCount: 0,
          updatedAt: message.sentAt ?? new Date(0).toISOString(),
        };
  const last = known.lastMessage;
  // A message still in the outbox is the newest; a recorded one is newer by `seq`.
  const newer =
    !last ||
    last.messageId === message.messageId ||
    message.seq === undefined ||
    (last.seq !== undefined && message.seq > last.seq);
  const unread =
    !message.own &&
    !message.deleted &&
    message.seq !== undefined &&
    (known.readSeq === undefined || message.seq > known.readSeq);
  const next: ConversationSummary = {
    ...known,
    ...(newer ? { lastMessage: message } : {}),
    unreadCount: known.unreadCount + (unread ? 1 : 0),
    updatedAt:
      newer && message.sentAt !== undefined && message.sentAt > known.updatedAt
        ? message.sentAt
        : known.updatedAt,
  };
  const rest = list.filter((_, i) => i !== index);
  return sortSummaries([...rest, next]);
}

/** The user read a conversation up to `seq`; `unreadCount` is what is known to be after it. */
export function applyReadToSummaries(
  list: readonly ConversationSummary[],
  conversationId: string,
  seq: number,
  unreadCount: number,
): readonly ConversationSummary[] {
  return list.map((c) =>
    c.conversationId !== conversationId || (c.readSeq !== undefined && c.readSeq >= seq)
      ? c
      : { ...c, readSeq: seq, unreadCount },
  );
}

/** Updates a conversation's last message when it is the one that changed. */
export function updateLastMessage(
  list: readonly ConversationSummary[],
  conversationId: string,
  change: (message: ChatMessage) => ChatMessage | undefined,
): readonly ConversationSummary[] {
  let changed = false;
  const next = list.map((c) => {
    if (c.conversationId !== conversationId || !c.lastMessage) return c;
    const updated = change(c.lastMessage);
    if (updated === c.lastMessage) return c;
    changed = true;
    if (updated === undefined) {
      const { lastMessage: _gone, ...rest } = c;
      return rest;
    }
    return { ...c, lastMessage: updated };
  });
  return changed ? next : list;
}
