export { DomainError, invalid, type DomainErrorKind } from './domain-errors';
export {
  parseUsername,
  parsePassword,
  parseDisplayName,
  parseMessageText,
  parseClientId,
  characterCount,
  unstorableCharacter,
  requireStorable,
  USERNAME_PATTERN,
  TEXT_MAX,
} from './input-rules';
export { directConversationId } from './direct-conversation';
export { takeToken, type TokenBucketLimit, type TokenBucketState, type TakeResult } from './token-bucket';
export { takeTokenFromEach, type BucketToTake, type TakeEachResult } from './token-bucket';
export { clientAddressKey } from './client-address';
export { OverloadedError, UnavailableError } from './overloaded';
export {
  parseJsonObject,
  asObject,
  parseSendRequest,
  parseReadRequest,
  parseDeleteRequest,
  parseStatusChange,
  parseGroupRequest,
  parseSeq,
  parseLimit,
  parseInstant,
  notFound,
  TITLE_MAX,
  GROUP_MEMBERS_MAX,
  type SendRequest,
  type SendTarget,
  type ReadRequest,
  type DeleteRequest,
  type DeleteScope,
  type GroupRequest,
} from './message-requests';
export { parseAccountStatusRequest, type AccountStatus, type AccountStatusRequest } from './account-requests';
export {
  parseEditRequest,
  checkEdit,
  editWindowOpen,
  EDIT_WINDOW_MS_DEFAULT,
  type EditRequest,
  type EditableMessage,
} from './message-edits';
