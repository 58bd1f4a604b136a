export {
  MessageService,
  type SendAnswer,
  type EditAnswer,
  type SendOptions,
  type MessageServiceDeps,
} from './message-service';
export { SendLines, type SendTurn } from './send-lines';
export { ConversationService, type ConversationServiceDeps } from './conversation-service';
export {
  MessageClaims,
  type ClaimReading,
  type ClaimResult,
  type NewClaim,
  type TakenClaim,
} from './message-claims';
export { SendRateLimiter, RateLimitedError, type RateLimitedAction } from './send-rate-limiter';
export { Directory, type AccountStatus } from './directory';
