import { useEffect, useLayoutEffect, useMemo, useRef, useState, type Ref } from 'react';
import { typistsOf, type ConversationSummary, type ParleyClient } from '@parley/client';
import { useStore } from './chat-client';
import { Composer } from './Composer';
import { nameOf } from './directory';
import { GroupMembers } from './GroupMembers';
import { MessageItem } from './MessageItem';
import { timeline, typingLine } from './timeline';
import { titleOf } from './titles';
import { useDirectory } from './use-directory';

export interface ChatViewProps {
  readonly client: ParleyClient;
  readonly conversationId: string;
  /** A direct chat's other member (messages go to them by `recipientId`: the first one creates it). */
  readonly peerId: string | undefined;
  readonly summary: ConversationSummary | undefined;
  readonly selfId: string;
  readonly headingRef: Ref<HTMLHeadingElement>;
  readonly onBack: () => void;
}

/** Older pages load once the reader scrolls this close to the top. */
const LOAD_OLDER_WITHIN_PX = 120;

const isVisible = () => document.visibilityState === 'visible';

export function ChatView({
  client,
  conversationId,
  peerId,
  summary,
  selfId,
  headingRef,
  onBack,
}: ChatViewProps) {
  const chat = useMemo(() => client.conversation(conversationId), [client, conversationId]);
  const view = useStore(chat.view);
  const typing = useStore(client.typing);
  const presence = useStore(client.presence);
  const [showMembers, setShowMembers] = useState(false);
  const [problem, setProblem] = useState('');
  const [visible, setVisible] = useState(isVisible);
  const log = useRef<HTMLDivElement>(null);
  /** Set while an older page loads: the scroll position is kept on the message that was at the top. */
  const keepFromBottom = useRef<number | undefined>(undefined);
  const stickToBottom = useRef(true);
  const lastMarked = useRef(-1);

  const typists = typistsOf(typing, conversationId, Date.now()).filter((id) => id !== selfId);
  // Everyone this screen may name: the peer, the members, the senders, who is typing.
  const directory = useDirectory(client, [
    ...(peerId ? [peerId] : []),
    ...(summary?.memberIds ?? []),
    ...view.messages.map((m) => m.senderId),
    ...typists,
  ]);
  const kind = summary?.kind ?? (peerId ? 'direct' : 'group');
  const title = summary
    ? titleOf(summary, selfId, directory)
    : peerId
      ? nameOf(directory, peerId)
      : 'Conversation';

  // The newest page, the live feed while shown (a removed member learns it at once).
  useEffect(() => {
    void chat.refresh().catch(() => undefined);
    return chat.watch();
  }, [chat]);

  useEffect(() => {
    const update = () => setVisible(isVisible());
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  }, []);

  // Read while open and visible: the newest message another member sent marks the chat read.
  useEffect(() => {
    if (!visible || view.removed) return;
    let newest = -1;
    for (const m of view.messages) if (!m.own && m.seq !== undefined && m.seq > newest) newest = m.seq;
    if (newest > lastMarked.current) {
      lastMarked.current = newest;
      chat.markRead(newest);
    }
  }, [chat, view.messages, view.removed, visible]);

  // Scrolling: new messages keep a reader at the bottom there; an older page keeps the reader's place.
  useLayoutEffect(() => {
    const element = log.current;
    if (!element) return;
    if (keepFromBottom.current !== undefined && !view.loading) {
      element.scrollTop = element.scrollHeight - keepFromBottom.current;
      keepFromBottom.current = undefined;
    } else if (stickToBottom.current) element.scrollTop = element.scrollHeight;
  }, [view.messages, view.loading]);

  const loadOlder = () => {
    const element = log.current;
    if (!element || view.loading || view.hasOlder !== true) return;
    keepFromBottom.current = element.scrollHeight - element.scrollTop;
    void chat.loadOlder().catch(() => undefined);
  };

  // A first page that does not fill the view leaves nothing to scroll: load the one before.
  useEffect(() => {
    const element = log.current;
    if (element && view.hasOlder && !view.loading && element.scrollHeight <= element.clientHeight)
      loadOlder();
  });

  const onScroll = () => {
    const element = log.current;
    if (!element) return;
    stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
    if (element.scrollTop < LOAD_OLDER_WITHIN_PX) loadOlder();
  };

  const send = async (text: string) => {
    stickToBottom.current = true;
    setProblem('');
    try {
      if (kind === 'direct' && peerId) await client.send({ recipientId: peerId, text });
      else await chat.send(text);
    } catch (error) {
      setProblem(
        `The message could not be stored: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  const peerPresence = peerId ? presence[peerId] : undefined;
  const items = timeline(view.messages, new Date());

  return (
    <section className="chat" aria-labelledby="chat-heading">
      <header className="chat-header">
        <button type="button" className="secondary back-button" onClick={onBack}>
          <span aria-hidden="true">←</span> <span className="visually-hidden">Back to </span>Conversations
        </button>
        <div className="chat-title">
          <h2 id="chat-heading" ref={headingRef} tabIndex={-1}>
            {title}
          </h2>
          <p className="chat-subtitle">
            {kind === 'group'
              ? `Group · ${summary?.memberIds.length ?? 0} members`
              : peerPresence?.status === 'online'
                ? 'Online'
                : 'Offline'}
          </p>
        </div>
        {kind === 'group' && summary && !view.removed && (
          <button
            type="button"
            className="secondary"
            aria-expanded={showMembers}
            aria-controls="members-panel"
            onClick={() => setShowMembers((shown) => !shown)}
          >
            Members
          </button>
        )}
      </header>
      {showMembers && summary && !view.removed && (
        <div id="members-panel">
          <GroupMembers
            client={client}
            summary={summary}
            selfId={selfId}
            directory={directory}
            onLeft={onBack}
          />
        </div>
      )}
      <div
        className="log"
        ref={log}
        onScroll={onScroll}
        role="log"
        aria-live="polite"
        aria-label={`Messages with ${title}`}
        tabIndex={0}
      >
        {view.hasOlder && (
          <button
            type="button"
            className="link-button load-older"
            onClick={loadOlder}
            disabled={view.loading}
          >
            {view.loading ? 'Loading older messages…' : 'Load older messages'}
          </button>
        )}
        {view.hasOlder === false && view.messages.length > 0 && (
          <p className="log-start">This is the start of the conversation.</p>
        )}
        <ol className="messages">
          {items.map((item) =>
            item.kind === 'day' ? (
              <li key={item.key} className="day-separator">
                <h3>{item.label}</h3>
              </li>
            ) : (
              <MessageItem
                key={item.key}
                client={client}
                message={item.message}
                senderName={
                  kind === 'group' && !item.message.own ? nameOf(directory, item.message.senderId) : undefined
                }
                onError={setProblem}
              />
            ),
          )}
        </ol>
        {view.messages.length === 0 && !view.loading && <p className="empty">No messages yet. Say hello.</p>}
      </div>
      <p className="typing" aria-live="polite">
        {typingLine(typists.map((id) => nameOf(directory, id)))}
      </p>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {view.removed ? (
        <p className="notice" role="status">
          You are no longer a member of this group.
        </p>
      ) : (
        <Composer onSend={send} onTyping={() => chat.notifyTyping()} />
      )}
    </section>
  );
}
