import {
  DomainError,
  parseClientId,
  parseDeleteRequest,
  parseJsonObject,
  parseReadRequest,
  parseSendRequest,
} from '@parley/domain';
import type { MessageService } from '@parley/messaging';
import type { SendContext } from './stomp-session';

/** PROTOCOL §3: the `/app/...` destinations a client SENDs to, served by the MessageService. */
export function chatDestinations(messages: MessageService): (context: SendContext) => Promise<void> {
  return async ({ userId, sessionId, destination, body }) => {
    switch (destination) {
      case '/app/chat.send':
        // Called before the first await: the session's sends keep their order (see MessageService.send).
        await messages.send(userId, parseSendRequest(parseJsonObject(body)), { session: sessionId });
        return;
      case '/app/chat.read':
        return messages.read(userId, parseReadRequest(parseJsonObject(body)));
      case '/app/chat.delete':
        return messages.delete(userId, parseDeleteRequest(parseJsonObject(body)));
      case '/app/chat.typing': {
        const conversationId = parseClientId(parseJsonObject(body).conversationId, 'conversationId');
        return messages.typing(userId, conversationId);
      }
      default:
        throw new DomainError('invalid', 'UNKNOWN_DESTINATION', `nothing is served at ${destination}`);
    }
  };
}
