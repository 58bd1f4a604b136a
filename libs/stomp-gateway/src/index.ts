export {
  attachStompEndpoint,
  STOMP_SUBPROTOCOLS,
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
} from './stomp-session';
export { parseSubscription, USER_QUEUES, type Destination, type UserQueue } from './destinations';
export { chatDestinations } from './chat-destinations';
export { SessionRegistry } from './session-registry';
