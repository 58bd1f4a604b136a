// The shapes Parley's client contract (docs/protocol.md) puts on the wire, as the SDK reads them.
// Fields Parley may add later are ignored (§7), so every shape here is what the SDK needs, not all.

/** A message's status for one recipient, as the sender sees it (PROTOCOL §2.6). */
export type DeliveryStatus = 'sent' | 'pending' | 'failed' | 'delivered' | 'read';

/** A message as HTTP answers it and as the inbox pushes it (PROTOCOL §2.1). */
export interface WireMessage {
  readonly messageId: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly senderId: string;
  readonly text: string;
  readonly sentAt: string;
  /** Given on the caller's own messages: the least advanced status among the other members. */
  readonly status?: DeliveryStatus;
  readonly deleted?: boolean;
  /** When the message was last edited (PROTOCOL §2.7); absent if never. */
  readonly editedAt?: string;
}

/** An edit as the inbox and a conversation's feed tell it (PROTOCOL §2.7, §3.4). */
export interface WireEdit {
  readonly messageId: string;
  readonly conversationId: string;
  /** One per edit: the SDK drops an edit it has handled (by `messageId` and `editId`). */
  readonly editId: string;
  readonly text: string;
  readonly editedAt: string;
}

/** What `PATCH /v1/messages/{messageId}` answers (PROTOCOL §2.7). */
export interface EditAnswer {
  readonly messageId: string;
  readonly conversationId: string;
  readonly editId: string;
  readonly editedAt: string;
}

/** A conversation as `GET /v1/conversations` answers it (PROTOCOL §2.1). */
export interface WireConversation {
  readonly conversationId: string;
  readonly kind: 'direct' | 'group';
  readonly title?: string;
  /** A group's creator (who alone removes others); a direct conversation's first sender. */
  readonly createdBy: string;
  readonly memberIds: readonly string[];
  readonly lastMessage?: WireMessage;
  readonly unreadCount: number;
  readonly updatedAt: string;
}

/** One item of `/user/queue/messages` (PROTOCOL §3.4). */
export type InboxItem =
  | ({ readonly kind: 'message' } & WireMessage)
  | { readonly kind: 'deleted'; readonly messageId: string; readonly conversationId: string }
  | ({ readonly kind: 'edited' } & WireEdit)
  | { readonly kind: 'gap'; readonly fromPosition: number; readonly toPosition: number };

/** One notice of `/user/queue/receipts` (PROTOCOL §3.5). */
export interface WireReceipt {
  readonly messageId: string;
  readonly conversationId: string;
  /** The recipient (the reader for `read`); `null` for `sent` of a group message. */
  readonly recipientId: string | null;
  readonly status: DeliveryStatus;
  readonly seq?: number;
  readonly at: string;
}

/** A refusal on `/user/queue/errors` (PROTOCOL §3.6). */
export interface WireRefusal {
  readonly code: string;
  readonly message: string;
  readonly receiptId?: string;
  readonly messageId?: string;
  readonly retryAfterMs?: number;
  /** Set on `SUBSCRIPTION_ENDED` notices. */
  readonly subscription?: string;
  readonly destination?: string;
}

/** A user's presence (PROTOCOL §2.8, §3.5). */
export interface Presence {
  readonly userId: string;
  readonly status: 'online' | 'offline';
  /** ISO-8601, or `null` for a user never seen. */
  readonly lastSeen: string | null;
}

/** `/user/queue/typing` (PROTOCOL §3.5). */
export interface WireTyping {
  readonly conversationId: string;
  readonly userId: string;
}

/** What register and login answer (PROTOCOL §1). */
export interface Session {
  readonly userId: string;
  readonly username: string;
  readonly token: string;
  /** ISO-8601: when the token expires. */
  readonly expiresAt: string;
}

/** A provider one may sign in with (PROTOCOL §1, provider sign-in). */
export interface SignInProvider {
  readonly id: string;
  readonly name: string;
}

/** What a finished provider sign-in answers: a session, and what happened to the account. */
export interface ProviderSession extends Session {
  readonly provider: string;
  readonly outcome: 'signed_in' | 'registered' | 'linked';
}

/** `GET /v1/me/identities`. */
export interface Identities {
  readonly identities: readonly { provider: string; name: string; linkedAt: string }[];
  readonly password: boolean;
}

/** A user as `GET /v1/users?username=` and `GET /v1/users/{userId}` answer (PROTOCOL §1). */
export interface UserProfile {
  readonly userId: string;
  readonly username: string;
  readonly displayName?: string;
}

/** A page of a history call (PROTOCOL §2.4). */
export interface MessagePage {
  readonly messages: readonly WireMessage[];
  readonly nextCursor?: string;
}

export interface ConversationPage {
  readonly conversations: readonly WireConversation[];
  readonly nextCursor?: string;
}

/** The STOMP destinations the SDK uses (PROTOCOL §3.3). */
export const DESTINATIONS = {
  send: '/app/chat.send',
  read: '/app/chat.read',
  typing: '/app/chat.typing',
  delete: '/app/chat.delete',
  edit: '/app/chat.edit',
  refresh: '/app/session.refresh',
  inbox: '/user/queue/messages',
  receipts: '/user/queue/receipts',
  presence: '/user/queue/presence',
  typingQueue: '/user/queue/typing',
  errors: '/user/queue/errors',
  /** `/topic/conversation.{conversationId}`: a conversation's live feed (members only). */
  conversationFeed: '/topic/conversation.',
} as const;

/** Ids a client chooses: 1 to 64 of `A-Z a-z 0-9 _ . : -` (PROTOCOL Conventions). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
