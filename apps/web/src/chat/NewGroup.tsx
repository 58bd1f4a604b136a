import { useState, type FormEvent } from 'react';
import { ParleyError, type ParleyClient, type UserProfile } from '@parley/client';
import { lookupError } from './StartChat';

export interface NewGroupProps {
  readonly client: ParleyClient;
  readonly onCreated: (conversationId: string) => void;
  readonly onCancel: () => void;
}

/** A group with a title and members named by username (the creator is always a member). */
export function NewGroup({ client, onCreated, onCancel }: NewGroupProps) {
  const [title, setTitle] = useState('');
  const [members, setMembers] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const usernames = [...new Set(members.split(/[\s,]+/).filter(Boolean))].map((u) => u.toLowerCase());
    if (!title.trim()) return setError('Give the group a title.');
    setBusy(true);
    setError('');
    const found: UserProfile[] = [];
    try {
      for (const username of usernames) {
        try {
          found.push(await client.findUser(username));
        } catch (caught) {
          throw new Error(lookupError(caught, username));
        }
      }
      const conversationId = await client.createGroup(
        title.trim(),
        found.map((u) => u.userId),
      );
      onCreated(conversationId);
    } catch (caught) {
      setError(caught instanceof ParleyError || caught instanceof Error ? caught.message : String(caught));
      setBusy(false);
    }
  };

  return (
    <form className="new-group" onSubmit={(e) => void submit(e)} aria-busy={busy} noValidate>
      <h2 className="panel-title">New group</h2>
      <label htmlFor="group-title">Group title</label>
      <input id="group-title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} />
      <label htmlFor="group-members">Members (usernames, separated by commas)</label>
      <input
        id="group-members"
        value={members}
        onChange={(e) => setMembers(e.target.value)}
        autoCapitalize="none"
        autoCorrect="off"
        spellCheck={false}
        aria-describedby="new-group-error"
      />
      <p id="new-group-error" className="field-error" aria-live="polite">
        {error}
      </p>
      <div className="button-row">
        <button type="submit" className="primary">
          {busy ? 'Creating…' : 'Create group'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
