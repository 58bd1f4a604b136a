import {
  DomainError,
  parseClientId,
  parseDeleteRequest,
  parseEditRequest,
  parseJsonObject,
  parseReadRequest,
  parseSendRequest,
} from '@parley/domain';
import type { MessageService } from '@parley/messaging';
import type { SendContext } from './stomp-session';

type Handler = (messages: MessageService, context: SendContext) => Promise<void>;

/**
 * PROTOCOL §3: the `/app/...` destinations a client SENDs to, served by the MessageService. This table
 * is the list (the authorisation and fuzz specs enumerate it, so a destination cannot be forgotten).
 */
const HANDLERS = {
  '/app/chat.send': async (messages, { userId, sessionId, body }) => {
    // Called before the first await: the session's sends keep their order (see MessageService.send).
    await messages.send(userId, parseSendRequest(parseJsonObject(body)), { session: sessionId });
  },
  '/app/chat.read': (messages, { userId, body }) =>
    messages.read(userId, parseReadRequest(parseJsonObject(body))),
  '/app/chat.delete': (messages, { userId, body }) =>
    messages.delete(userId, parseDeleteRequest(parseJsonObject(body))),
  '/app/chat.edit': async (messages, { userId, body }) => {
    await messages.edit(userId, parseEditRequest(parseJsonObject(body)));
  },
  '/app/chat.typing': (messages, { userId, body }) =>
    messages.typing(userId, parseClientId(parseJsonObject(body).conversationId, 'conversationId')),
} satisfies Record<string, Handler>;

export type ChatDestination = keyof typeof HANDLERS;
export const CHAT_DESTINATIONS = Object.keys(HANDLERS) as readonly ChatDestination[];

export function chatDestinations(messages: MessageService): (context: SendContext) => Promise<void> {
  return async (context) => {
    const { destination } = context;
    const handler: Handler | undefined = Object.hasOwn(HANDLERS, destination)
      ? HANDLERS[destination as ChatDestination]
      : undefined;
    if (!handler)
      throw new DomainError(
        'invalid',
        'UNKNOWN_DESTINATION',
        `nothing is served at ${destination.slice(0, 100)}`,
      );
    return handler(messages, context);
  };
}
