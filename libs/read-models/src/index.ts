import type { Projection } from '@parley/projections';
import { conversationsProjection } from './projections/conversations-projection';
import { messagesProjection } from './projections/messages-projection';
import { presenceProjection } from '@parley/presence';
import { credentialsProjection, usersProjection } from './projections/users-projection';
import { identitiesProjection } from './projections/identities-projection';

export {
  usersProjection,
  identitiesProjection,
  credentialsProjection,
  conversationsProjection,
  messagesProjection,
  presenceProjection,
};
export { STATUS_RANK } from './projections/recipient-status';

/** Every read model of the messaging core, as apps/projector runs them. */
export const ALL_PROJECTIONS: readonly Projection[] = [
  usersProjection,
  credentialsProjection,
  identitiesProjection,
  conversationsProjection,
  messagesProjection,
  presenceProjection,
];
export { isActiveMember } from './queries/membership';
export { waitForReadModel } from './queries/wait-for-read-model';
export { findUserById, findUserByUsername, type UserView } from './queries/users';
export {
  listConversations,
  conversationMessages,
  messagesSince,
  toMessageView,
  encodeSinceCursor,
  encodeConversationCursor,
  decodeConversationCursor,
  type ConversationCursor,
  decodeSinceCursor,
  type MessageView,
  type ConversationView,
  type Page,
  type MessagePageQuery,
} from './queries/history';
