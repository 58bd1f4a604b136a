export {
  attachStompEndpoint,
  STOMP_SUBPROTOCOLS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  type StompEndpointDeps,
  type StompEndpoint,
} from './stomp-endpoint';
export {
  StompSession,
  type StompSessionDeps,
  type Transport,
  type SendContext,
  type InboxContext,
  type InboxFeed,
  type AuthenticatedUser,
  type SessionLimits,
  type LiveWatch,
  LIVE_READY_TIMEOUT_MS,
  DEFAULT_SESSION_LIMITS,
  REFRESH_DESTINATION,
} from './stomp-session';
export { parseSubscription, USER_QUEUES, type Destination, type UserQueue } from './destinations';
export { chatDestinations, CHAT_DESTINATIONS, type ChatDestination } from './chat-destinations';
export { SessionRegistry } from './session-registry';
export { ConnectionsPerAddress } from './connection-limit';
