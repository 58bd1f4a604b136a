export { DomainError, invalid, type DomainErrorKind } from './domain-errors';
export {
  parseUsername,
  parsePassword,
  parseDisplayName,
  parseMessageText,
  parseClientId,
  characterCount,
  USERNAME_PATTERN,
  TEXT_MAX,
} from './input-rules';
export { directConversationId } from './direct-conversation';
export { takeToken, type TokenBucketLimit, type TokenBucketState, type TakeResult } from './token-bucket';
