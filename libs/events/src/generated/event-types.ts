// Generated from schemas/ by `npm run schemas:types`. Do not edit by hand.

/** DIRECT has exactly two members; GROUP any number. */
export type ConversationKind = 'DIRECT' | 'GROUP';

/** A conversation came into being: a group by request, a direct one with its first message. (chat.conversations, schema v1) */
export interface ConversationCreated {
  readonly type: 'ConversationCreated';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the conversation; the record key. Direct ones derive it from the two user ids. */
  readonly conversationId: string;
  /** Direct or group conversation. */
  readonly kind: ConversationKind;
  /** Title of a group; null for a direct conversation. */
  readonly title: null | string;
  /** User id of the creator. */
  readonly createdBy: string;
  /** User ids of the first members, the creator included. */
  readonly memberIds: Array<string>;
}

/** A user joined a group conversation. (chat.conversations, schema v1) */
export interface MemberAdded {
  readonly type: 'MemberAdded';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the conversation; the record key. */
  readonly conversationId: string;
  /** User id of the new member. */
  readonly userId: string;
  /** User id of who added them. */
  readonly addedBy: string;
}

/** A user left or was removed from a group conversation. (chat.conversations, schema v1) */
export interface MemberRemoved {
  readonly type: 'MemberRemoved';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the conversation; the record key. */
  readonly conversationId: string;
  /** User id of the removed member. */
  readonly userId: string;
  /** User id of who removed them (the member themself when leaving). */
  readonly removedBy: string;
}

/** The password of an account was set. Kept on a restricted topic, apart from what analytics read. (chat.credentials, schema v1) */
export interface CredentialsSet {
  readonly type: 'CredentialsSet';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the user; the record key. */
  readonly userId: string;
  /** Slow salted hash of the password in PHC string format (argon2id); never the password. */
  readonly passwordHash: string;
}

/** A recipient had no device online when the message was sent. (chat.messages, schema v1) */
export interface DeliveryPending {
  readonly type: 'DeliveryPending';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the pending message. */
  readonly messageId: string;
  /** Conversation of the message; the record key. */
  readonly conversationId: string;
  /** User id of the sender, who is told the message is pending. */
  readonly senderId: string;
  /** User id of the recipient who is offline. */
  readonly recipientId: string;
}

/** ME hides it for the deleting user only; EVERYONE (sender only) removes it for all members. */
export type DeleteScope = 'ME' | 'EVERYONE';

/** A message was deleted for one user or for everybody. (chat.messages, schema v1) */
export interface MessageDeleted {
  readonly type: 'MessageDeleted';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the deleted message. */
  readonly messageId: string;
  /** Conversation of the message; the record key. */
  readonly conversationId: string;
  /** User id of who deleted it. */
  readonly deletedBy: string;
  /** Whom the deletion applies to. */
  readonly scope: DeleteScope;
}

/** A device of a recipient acknowledged the message for the first time. (chat.messages, schema v1) */
export interface MessageDelivered {
  readonly type: 'MessageDelivered';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the delivered message. */
  readonly messageId: string;
  /** Conversation of the message; the record key. */
  readonly conversationId: string;
  /** User id of the sender, who is told of the delivery. */
  readonly senderId: string;
  /** User id of the recipient whose device acknowledged it. */
  readonly recipientId: string;
  /** The device that acknowledged it first. */
  readonly deviceId: string;
  /** Position of the message in its conversation (the offset of its MessageSent record in its chat.messages partition). */
  readonly seq: number;
}

/** The sender changed the text of one of their messages. The latest edit of a message (in log order) gives its text. (chat.messages, schema v1) */
export interface MessageEdited {
  readonly type: 'MessageEdited';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the edit was made, in milliseconds since the Unix epoch (UTC): the message's editedAt. */
  readonly occurredAt: number;
  /** Id of the edited message. */
  readonly messageId: string;
  /** Conversation of the message; the record key, so an edit is on the partition of its message, after it. */
  readonly conversationId: string;
  /** User id of who edited it: the message's sender (readers ignore an edit by anyone else). */
  readonly editedBy: string;
  /** Id of this edit, chosen by the client (or by Parley when the client gave none). A retried edit carries the same one: readers count the first record of a (messageId, editId) and drop later ones. */
  readonly editId: string;
  /** The message's new text (1 to 4,000 characters, the rules of a send). */
  readonly text: string;
}

/** No device of a recipient acknowledged the message within the delivery TTL or retry budget. (chat.messages, schema v1) */
export interface MessageFailed {
  readonly type: 'MessageFailed';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the failed message. */
  readonly messageId: string;
  /** Conversation of the message; the record key. */
  readonly conversationId: string;
  /** User id of the sender, who is told of the failure. */
  readonly senderId: string;
  /** User id of the recipient it never reached. */
  readonly recipientId: string;
  /** Why delivery gave up, for example "ttl-expired" or "retry-budget-exhausted". */
  readonly reason: string;
}

/** A member read a conversation up to and including a position. (chat.messages, schema v1) */
export interface MessageRead {
  readonly type: 'MessageRead';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Conversation that was read; the record key. */
  readonly conversationId: string;
  /** User id of the reader. */
  readonly readerId: string;
  /** Every message with seq at most this value is read. */
  readonly upToSeq: number;
}

/** A user sent a message; Kafka holds it durably from here on. (chat.messages, schema v2) */
export interface MessageSent {
  readonly type: 'MessageSent';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Client-chosen id of the message (UUID); the same id sent twice is one message. */
  readonly messageId: string;
  /** Conversation the message belongs to; the record key. */
  readonly conversationId: string;
  /** User id of the sender. */
  readonly senderId: string;
  /** For a direct message, the other user; null in a group. */
  readonly recipientId: null | string;
  /** Message text, 1 to 4000 characters. */
  readonly text: string;
  /** The message this one answers (its messageId, in the same conversation); null when it answers none. Added in v2: records written before read as null. */
  readonly replyToMessageId: null | string;
}

/** Online while any session of the user is open. */
export type PresenceStatus = 'ONLINE' | 'OFFLINE';

/** A user went online (first session) or offline (last session gone, after a grace period). (chat.presence, schema v1) */
export interface PresenceChanged {
  readonly type: 'PresenceChanged';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** User id; the record key. */
  readonly userId: string;
  /** The new presence. */
  readonly status: PresenceStatus;
  /** Last moment the user was seen connected, in milliseconds since the epoch. */
  readonly lastSeen: number;
}

/** An account was linked to an identity at a sign-in provider (OpenID Connect or OAuth 2): signing in there signs in to this account. (chat.users, schema v1) */
export interface IdentityLinked {
  readonly type: 'IdentityLinked';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the user; the record key. */
  readonly userId: string;
  /** Id of the provider as the installation configured it (google, yandex, github, or the <id> of OIDC_<ID>_ISSUER, in lower case). */
  readonly provider: string;
  /** The provider's stable id of the person (OpenID Connect sub; GitHub's and Yandex's numeric user id); never an email address. */
  readonly subject: string;
  /** The email address the provider said it verified, lower-cased; null when it gave none or did not say it verified it. Only used to merge accounts when the installation allows it. */
  readonly verifiedEmail: null | string;
}

/** The link between an account and an identity at a sign-in provider was removed: signing in there no longer signs in to this account. (chat.users, schema v1) */
export interface IdentityUnlinked {
  readonly type: 'IdentityUnlinked';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the user; the record key. */
  readonly userId: string;
  /** Id of the provider, as on the IdentityLinked event. */
  readonly provider: string;
  /** The provider's id of the person, as on the IdentityLinked event. */
  readonly subject: string;
}

/** A new account was created. (chat.users, schema v1) */
export interface UserRegistered {
  readonly type: 'UserRegistered';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the new user (UUID); the record key. */
  readonly userId: string;
  /** Unique login name: 3 to 32 of a-z 0-9 _ . - */
  readonly username: string;
  /** Name shown to others; null when not given. */
  readonly displayName: null | string;
}

/** Only ACTIVE users may log in and connect. */
export type AccountStatus = 'ACTIVE' | 'BLOCKED' | 'DELETED';

/** An administrator changed the status of an account. (chat.users, schema v1) */
export interface UserStatusChanged {
  readonly type: 'UserStatusChanged';
  /** Unique id of this event (UUID); consumers use it to drop duplicates. */
  readonly eventId: string;
  /** When the change happened, in milliseconds since the Unix epoch (UTC). */
  readonly occurredAt: number;
  /** Id of the user; the record key. */
  readonly userId: string;
  /** The new account status. */
  readonly status: AccountStatus;
  /** User id of the administrator who changed it. */
  readonly changedBy: string;
  /** Why, as the administrator wrote it; null when not given. */
  readonly reason: null | string;
}

export type ParleyEvent = ConversationCreated | MemberAdded | MemberRemoved | CredentialsSet | DeliveryPending | MessageDeleted | MessageDelivered | MessageEdited | MessageFailed | MessageRead | MessageSent | PresenceChanged | IdentityLinked | IdentityUnlinked | UserRegistered | UserStatusChanged;

export type EventType = ParleyEvent['type'];

/** Events on chat.conversations. */
export type ChatConversationsEvent = ConversationCreated | MemberAdded | MemberRemoved;

/** Events on chat.credentials. */
export type ChatCredentialsEvent = CredentialsSet;

/** Events on chat.messages. */
export type ChatMessagesEvent = DeliveryPending | MessageDeleted | MessageDelivered | MessageEdited | MessageFailed | MessageRead | MessageSent;

/** Events on chat.presence. */
export type ChatPresenceEvent = PresenceChanged;

/** Events on chat.users. */
export type ChatUsersEvent = IdentityLinked | IdentityUnlinked | UserRegistered | UserStatusChanged;

/** The topic each event type is written to. */
export const EVENT_TOPIC = {
  ConversationCreated: 'chat.conversations',
  MemberAdded: 'chat.conversations',
  MemberRemoved: 'chat.conversations',
  CredentialsSet: 'chat.credentials',
  DeliveryPending: 'chat.messages',
  MessageDeleted: 'chat.messages',
  MessageDelivered: 'chat.messages',
  MessageEdited: 'chat.messages',
  MessageFailed: 'chat.messages',
  MessageRead: 'chat.messages',
  MessageSent: 'chat.messages',
  PresenceChanged: 'chat.presence',
  IdentityLinked: 'chat.users',
  IdentityUnlinked: 'chat.users',
  UserRegistered: 'chat.users',
  UserStatusChanged: 'chat.users',
} as const satisfies Record<EventType, string>;
