// @parley/client: the browser-safe entry (no Node module is imported from here; Node adds
// `@parley/client/node` for file storage and the `ws` WebSocket).
export { ParleyClient, webSocketUrl } from './client';
export type { ConversationView, Draft, InboxEvent, ParleyClientOptions } from './client';
export { Accounts, storageTokenStore } from './accounts';
export type { AccountsOptions, TokenRenewer, TokenStore } from './accounts';
export { backoffDelay, DEFAULT_RECONNECT_BACKOFF, DEFAULT_RETRY_BACKOFF } from './backoff';
export type { BackoffPolicy } from './backoff';
export {
  applyEdit,
  applyMessageToSummaries,
  applyReadToSummaries,
  applyReceiptTo,
  countUnread,
  markDeleted,
  mergeMessages,
  messageFromWire,
  replaceSummaries,
  sortSummaries,
  summaryFromWire,
  updateLastMessage,
  updateMessage,
  withoutMessage,
  withoutSummary,
} from './chat-state';
export type { ChatMessage, ConversationSummary, MessageState } from './chat-state';
export { ConnectionManager } from './connection-manager';
export type { ConnectionManagerOptions, ConnectionState, ConnectionStatus } from './connection-manager';
export { directConversationId } from './direct-id';
export { isFatalConnectCode, isTransient, ParleyError } from './errors';
export type { ErrorSource } from './errors';
export { HttpApi } from './http-api';
export type { FetchLike, HistoryQuery } from './http-api';
export { InboxCursor } from './inbox-cursor';
export type { InboxCursorState } from './inbox-cursor';
export { IndexedDbStorage } from './indexeddb-storage';
export type { IdbFactoryLike, IdbKeyRangeLike } from './indexeddb-storage';
export { Outbox } from './outbox';
export type { OutboxDraft, OutboxOptions, SendLink } from './outbox';
export { decideOnRefusal, planSends } from './outbox-plan';
export type { OutboxEntry, RefusalDecision, SendPlan } from './outbox-plan';
export { CLIENT_ID_PATTERN, DESTINATIONS } from './protocol';
export type {
  ConversationPage,
  DeliveryStatus,
  EditAnswer,
  InboxItem,
  MessagePage,
  Presence,
  Session,
  SignInProvider,
  ProviderSession,
  Identities,
  WireConversation,
  WireEdit,
  WireMessage,
  WireReceipt,
  WireRefusal,
  WireTyping,
  UserProfile,
} from './protocol';
export { applyReceipt, furthest, leastAdvanced, summarise } from './statuses';
export type { RecipientStatuses } from './statuses';
export { MemoryStorage } from './storage';
export type { ClientStorage } from './storage';
export { WritableStore } from './store';
export type { Listener, ReadableStore } from './store';
export { StompTransport } from './stomp-transport';
export type { StompTransportOptions, WebSocketFactory } from './stomp-transport';
export type {
  CloseReason,
  Connection,
  ConnectionEvents,
  Headers,
  InboundMessage,
  Transport,
} from './transport';
export {
  addTypist,
  expireTypists,
  mayNotifyTyping,
  removeTypist,
  typistsOf,
  TYPING_SEND_INTERVAL_MS,
  TYPING_SHOWN_MS,
} from './typing';
export type { TypingState } from './typing';
export { displayNameOf, UserNames, withUser } from './user-names';
export type { UserDirectory } from './user-names';
