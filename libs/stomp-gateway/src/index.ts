export { attachStompEndpoint, STOMP_SUBPROTOCOLS, type StompEndpointDeps } from './stomp-endpoint';
export { StompSession, type StompSessionDeps, type Transport } from './stomp-session';
export { parseSubscription, USER_QUEUES, type Destination, type UserQueue } from './destinations';
