import { useState, type FormEvent } from 'react';
import { ParleyError, type ParleyClient, type UserProfile } from '@parley/client';

export interface StartChatProps {
  readonly client: ParleyClient;
  readonly selfId: string;
  readonly onFound: (user: UserProfile) => void;
}

/** Looks a user up by exact username (`GET /v1/users?username=`) and opens the direct chat with them. */
export function StartChat({ client, selfId, onFound }: StartChatProps) {
  const [username, setUsername] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const wanted = username.trim().toLowerCase();
    if (!wanted || busy) return;
    setBusy(true);
    setError('');
    try {
      const user = await client.findUser(wanted);
      if (user.userId === selfId) setError('That is you. Choose someone else.');
      else {
        setUsername('');
        onFound(user);
      }
    } catch (caught) {
      setError(lookupError(caught, wanted));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="start-chat" onSubmit={(e) => void submit(e)} aria-busy={busy} noValidate>
      <label htmlFor="start-chat-username">Start a chat with (username)</label>
      <div className="inline-field">
        <input
          id="start-chat-username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          aria-describedby="start-chat-error"
          aria-invalid={error ? true : undefined}
        />
        <button type="submit" className="secondary">
          Chat
        </button>
      </div>
      <p id="start-chat-error" className="field-error" aria-live="polite">
        {error}
      </p>
    </form>
  );
}

export function lookupError(error: unknown, username: string): string {
  if (error instanceof ParleyError) {
    if (error.code === 'NOT_FOUND') return `Nobody has the username “${username}”.`;
    if (error.code === 'INVALID_USERNAME') return 'A username is 3 to 32 of a-z 0-9 _ . -';
    if (error.code === 'NETWORK') return 'Parley cannot be reached. Try again when you are online.';
    return error.message;
  }
  return String(error);
}
