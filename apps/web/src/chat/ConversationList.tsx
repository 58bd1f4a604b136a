import { useEffect, type Ref } from 'react';
import type { ConversationSummary, ParleyClient } from '@parley/client';
import { useStore } from './chat-client';
import { nameOf } from './directory';
import { peerOf, titleOf } from './titles';
import { useDirectory } from './use-directory';

export interface ConversationListProps {
  readonly client: ParleyClient;
  readonly selfId: string;
  readonly selected: string | undefined;
  readonly onOpen: (summary: ConversationSummary) => void;
  /** The conversation open now or last: its button takes the focus back from the chat. */
  readonly focusTarget: string | undefined;
  readonly focusRef: Ref<HTMLButtonElement>;
}

/** The conversations, newest activity first: title, presence, last message, unread count. */
export function ConversationList({
  client,
  selfId,
  selected,
  onOpen,
  focusTarget,
  focusRef,
}: ConversationListProps) {
  const conversations = useStore(client.conversations);
  const presence = useStore(client.presence);
  // Names for the titles of direct chats and the senders of groups' last messages.
  const directory = useDirectory(
    client,
    conversations.flatMap((summary) =>
      summary.kind === 'direct'
        ? (peerOf(summary, selfId) ?? [])
        : summary.lastMessage && !summary.lastMessage.own
          ? [summary.lastMessage.senderId]
          : [],
    ),
  );

  // Presence notices come only on a change: look up the state of the other members of direct chats.
  useEffect(() => {
    for (const summary of conversations) {
      const peer = peerOf(summary, selfId);
      if (peer && !presence[peer]) void client.fetchPresence(peer).catch(() => undefined);
    }
  }, [client, conversations, presence, selfId]);

  if (conversations.length === 0) return <p className="empty">No conversations yet.</p>;
  return (
    <ul className="conversations">
      {conversations.map((summary) => {
        const peer = peerOf(summary, selfId);
        const online = peer !== undefined && presence[peer]?.status === 'online';
        const last = summary.lastMessage;
        const lastText = !last
          ? summary.kind === 'group'
            ? 'New group'
            : 'No messages yet'
          : `${last.own ? 'You: ' : summary.kind === 'group' ? `${nameOf(directory, last.senderId)}: ` : ''}${
              last.deleted ? 'Message deleted' : last.text
            }`;
        const isSelected = summary.conversationId === selected;
        return (
          <li key={summary.conversationId}>
            <button
              type="button"
              className="conversation"
              aria-current={isSelected ? 'true' : undefined}
              ref={summary.conversationId === focusTarget ? focusRef : undefined}
              onClick={() => onOpen(summary)}
            >
              <span className="conversation-title">
                {peer !== undefined && (
                  <span className={online ? 'presence presence-online' : 'presence'} aria-hidden="true" />
                )}
                <span className="conversation-name">{titleOf(summary, selfId, directory)}</span>
                {peer !== undefined && (
                  <span className="visually-hidden">{online ? ', online' : ', offline'}</span>
                )}
                {summary.kind === 'group' && <span className="visually-hidden">, group</span>}
              </span>
              <span className="conversation-last">
                <span className="visually-hidden">, last message: </span>
                {lastText}
              </span>
              {summary.unreadCount > 0 && (
                <span className="badge">
                  <span className="visually-hidden">, </span>
                  {summary.unreadCount}
                  <span className="visually-hidden"> unread</span>
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
