export { MessageService, type SendAnswer, type MessageServiceDeps } from './message-service';
export { ConversationService, type ConversationServiceDeps } from './conversation-service';
export { MessageClaims, type ClaimResult, type ExistingClaim, type NewClaim } from './message-claims';
export { SendRateLimiter, RateLimitedError } from './send-rate-limiter';
export { Directory, type AccountStatus } from './directory';
