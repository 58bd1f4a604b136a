import { useCallback, useEffect, useRef, useState } from 'react';
import {
  directConversationId,
  type ConversationSummary,
  type ParleyClient,
  type UserProfile,
} from '@parley/client';
import { ChatView } from '../chat/ChatView';
import { useChatClient, useStore } from '../chat/chat-client';
import { ConversationList } from '../chat/ConversationList';
import { NewGroup } from '../chat/NewGroup';
import { StartChat } from '../chat/StartChat';
import { peerOf } from '../chat/titles';
import { OfflineBanner } from '../components/OfflineBanner';
import { useScreenTitle } from '../components/use-screen-title';
import { NotificationSettings } from '../push/NotificationSettings';
import { pushApi } from '../push/push-api';
import { turnOff } from '../push/browser-push';
import { onOpenRequest } from '../push/open-requests';
import type { Session } from '../session-store';
import { conversationFromSearch } from '../../sw/notification-content';

export interface AppShellProps {
  readonly session: Session;
  readonly onSignOut: () => void;
}

/** The open conversation, kept for the tab's life so a reload shows it again. */
interface OpenChat {
  readonly conversationId: string;
  readonly peerId?: string;
}

const OPEN_KEY = 'parley.open-chat';

function readOpen(userId: string): OpenChat | undefined {
  try {
    const value = JSON.parse(window.sessionStorage.getItem(OPEN_KEY) ?? 'null') as
      (OpenChat & { userId?: string }) | null;
    return value?.userId === userId && typeof value.conversationId === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function writeOpen(userId: string, open: OpenChat | undefined): void {
  if (open) window.sessionStorage.setItem(OPEN_KEY, JSON.stringify({ ...open, userId }));
  else window.sessionStorage.removeItem(OPEN_KEY);
}

/**
 * The signed-in frame: the header with the user, the conversation list and the chat. On a phone the
 * list and the chat are two views, with a back button from the chat to the list.
 */
export function AppShell({ session, onSignOut }: AppShellProps) {
  const chatClient = useChatClient(session);
  const client = chatClient.state === 'ready' ? chatClient.client : undefined;
  // Signed out on purpose, this browser stops getting the user's notifications (in the background:
  // signing out does not wait for it).
  const signOut = () => {
    void turnOff(pushApi(session.token)).catch(() => undefined);
    onSignOut();
  };
  return (
    <>
      {client ? <ConnectionBanner client={client} /> : <OfflineBanner />}
      <div className="shell">
        <a className="skip-link" href="#chat">
          Skip to the chat
        </a>
        <header className="shell-header">
          <span className="brand">Parley</span>
          <p className="who">
            <span className="visually-hidden">Signed in as </span>
            {session.displayName && <span className="who-name">{session.displayName} </span>}
            <span className="who-username">@{session.username}</span>
          </p>
          <button type="button" className="secondary" onClick={signOut}>
            Sign out
          </button>
        </header>
        {client ? (
          <Chats client={client} session={session} />
        ) : (
          <div className="shell-body" data-view="list">
            <nav className="conversation-list" aria-labelledby="conversations-heading">
              <ListHeading />
              <p className="empty" role="status">
                {chatClient.state === 'failed' ? chatClient.message : 'Loading…'}
              </p>
            </nav>
          </div>
        )}
      </div>
    </>
  );
}

function ConnectionBanner({ client }: { readonly client: ParleyClient }) {
  return <OfflineBanner connection={useStore(client.connection)} />;
}

function ListHeading() {
  const heading = useScreenTitle<HTMLHeadingElement>('Conversations');
  return (
    <h1 id="conversations-heading" ref={heading} tabIndex={-1}>
      Conversations
    </h1>
  );
}

/**
 * The conversation a notification's click asks for (`/?conversation=<id>`, a window the service
 * worker opened), taken once; the address goes back to `/`.
 */
function takeConversationFromUrl(userId: string): OpenChat | undefined {
  const conversationId = conversationFromSearch(window.location.search);
  if (!conversationId) return undefined;
  window.history.replaceState(null, '', '/');
  writeOpen(userId, { conversationId });
  return { conversationId };
}

function Chats({ client, session }: { readonly client: ParleyClient; readonly session: Session }) {
  const selfId = session.userId;
  const [open, setOpen] = useState<OpenChat | undefined>(
    () => takeConversationFromUrl(selfId) ?? readOpen(selfId),
  );
  const [creatingGroup, setCreatingGroup] = useState(false);
  const conversations = useStore(client.conversations);
  const chatHeading = useRef<HTMLHeadingElement>(null);
  const selectedButton = useRef<HTMLButtonElement>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  /** Where the focus goes after the next render: the chat's heading, or back to the list. */
  const focusNext = useRef<'chat' | 'list' | undefined>(undefined);
  /** The conversation last open, whose button in the list takes the focus when the chat closes. */
  const [lastOpen, setLastOpen] = useState(open?.conversationId);

  useEffect(() => {
    document.title = 'Conversations · Parley';
    // The loading screen's heading had the focus and is gone: its successor takes it, unless the
    // user has moved on (to Sign out) meanwhile.
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (!open && lost) listHeading.current?.focus();
  }, []);

  useEffect(() => {
    if (focusNext.current === 'chat') chatHeading.current?.focus();
    if (focusNext.current === 'list') (selectedButton.current ?? listHeading.current)?.focus();
    focusNext.current = undefined;
  });

  // Coming back to the tab: the list may have changed where no live notice says so (a new group).
  useEffect(() => {
    const onFocus = () => void client.refreshConversations().catch(() => undefined);
    window.addEventListener('focus', onFocus);
    return () => window.removeEventListener('focus', onFocus);
  }, [client]);

  const show = useCallback(
    (next: OpenChat | undefined) => {
      focusNext.current = next ? 'chat' : 'list';
      writeOpen(selfId, next);
      if (next) setLastOpen(next.conversationId);
      setOpen(next);
    },
    [selfId],
  );

  // A click on a notification while this window is open: the service worker says which conversation.
  useEffect(() => onOpenRequest((conversationId) => show({ conversationId })), [show]);

  const openSummary = (summary: ConversationSummary) => {
    const peerId = peerOf(summary, selfId);
    show({ conversationId: summary.conversationId, ...(peerId ? { peerId } : {}) });
  };

  const startWith = (user: UserProfile) => {
    show({ conversationId: directConversationId(selfId, user.userId), peerId: user.userId });
  };

  const created = (conversationId: string) => {
    setCreatingGroup(false);
    show({ conversationId });
  };

  const summary = open && conversations.find((c) => c.conversationId === open.conversationId);
  const peerId = open?.peerId ?? (summary ? peerOf(summary, selfId) : undefined);
  const unread = conversations.reduce((sum, c) => sum + c.unreadCount, 0);

  useEffect(() => {
    document.title = `${unread > 0 ? `(${unread}) ` : ''}Conversations · Parley`;
  }, [unread]);

  return (
    <div className="shell-body" data-view={open ? 'chat' : 'list'}>
      <nav className="conversation-list" aria-labelledby="conversations-heading">
        <h1 id="conversations-heading" ref={listHeading} tabIndex={-1}>
          Conversations
        </h1>
        <StartChat client={client} selfId={selfId} onFound={startWith} />
        {creatingGroup ? (
          <NewGroup client={client} onCreated={created} onCancel={() => setCreatingGroup(false)} />
        ) : (
          <button type="button" className="secondary new-group-button" onClick={() => setCreatingGroup(true)}>
            New group
          </button>
        )}
        <ConversationList
          client={client}
          selfId={selfId}
          selected={open?.conversationId}
          onOpen={openSummary}
          focusTarget={lastOpen}
          focusRef={selectedButton}
        />
        <NotificationSettings session={session} />
      </nav>
      <main className="chat-pane" id="chat" tabIndex={-1} aria-label="Chat">
        {open ? (
          <ChatView
            key={open.conversationId}
            client={client}
            conversationId={open.conversationId}
            peerId={peerId}
            summary={summary}
            selfId={selfId}
            headingRef={chatHeading}
            onBack={() => show(undefined)}
          />
        ) : (
          <p className="empty">Choose a conversation to read and write messages.</p>
        )}
      </main>
    </div>
  );
}
