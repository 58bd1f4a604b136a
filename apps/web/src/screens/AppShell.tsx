import { useScreenTitle } from '../components/use-screen-title';
import type { Session } from '../session-store';

export interface AppShellProps {
  readonly session: Session;
  readonly onSignOut: () => void;
}

/**
 * The signed-in frame: the header with the user, the conversation list and the chat pane. The two
 * panes are placeholders the chat screens fill (with @parley/client).
 */
export function AppShell({ session, onSignOut }: AppShellProps) {
  const heading = useScreenTitle<HTMLHeadingElement>('Conversations');
  return (
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
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div className="shell-body">
        <nav className="conversation-list" aria-labelledby="conversations-heading">
          <h1 id="conversations-heading" ref={heading} tabIndex={-1}>
            Conversations
          </h1>
          <p className="empty">No conversations yet.</p>
        </nav>
        <main className="chat-pane" id="chat" tabIndex={-1} aria-label="Chat">
          <p className="empty">Choose a conversation to read and write messages.</p>
        </main>
      </div>
    </div>
  );
}
