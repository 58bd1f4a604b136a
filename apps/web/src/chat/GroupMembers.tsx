import { useState, type FormEvent } from 'react';
import type { ConversationSummary, ParleyClient, UserProfile } from '@parley/client';
import { nameOf, type Directory } from './directory';
import { lookupError } from './StartChat';

export interface GroupMembersProps {
  readonly client: ParleyClient;
  readonly summary: ConversationSummary;
  readonly selfId: string;
  readonly directory: Directory;
  readonly onLeft: () => void;
}

/** A group's members: any member adds one by username; the creator removes others; anyone leaves. */
export function GroupMembers({ client, summary, selfId, directory, onLeft }: GroupMembersProps) {
  const [username, setUsername] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const conversationId = summary.conversationId;
  // Only the group's creator removes others (PROTOCOL §2.3); the conversation says who that is.
  const isOwner = summary.createdBy === selfId;

  const failed = (caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught));

  const add = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const wanted = username.trim().toLowerCase();
    if (!wanted) return;
    setError('');
    let user: UserProfile;
    try {
      user = await client.findUser(wanted);
    } catch (caught) {
      return setError(lookupError(caught, wanted));
    }
    try {
      await client.addMember(conversationId, user.userId);
      setUsername('');
      setStatus(`${nameOf({ [user.userId]: user }, user.userId)} was added.`);
    } catch (caught) {
      failed(caught);
    }
  };

  const remove = async (userId: string) => {
    setError('');
    try {
      await client.removeMember(conversationId, userId);
      setStatus(`${nameOf(directory, userId)} was removed.`);
    } catch (caught) {
      failed(caught);
    }
  };

  const leave = async () => {
    setError('');
    try {
      await client.leaveGroup(conversationId);
      onLeft();
    } catch (caught) {
      failed(caught);
    }
  };

  return (
    <section className="members" aria-labelledby="members-heading">
      <h3 id="members-heading">Members ({summary.memberIds.length})</h3>
      <ul className="member-list">
        {summary.memberIds.map((id) => (
          <li key={id}>
            <span>
              {nameOf(directory, id)}
              {id === selfId && ' (you)'}
            </span>
            {id === selfId ? (
              <button type="button" className="secondary" onClick={() => void leave()}>
                Leave group
              </button>
            ) : (
              isOwner && (
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Remove ${nameOf(directory, id)}`}
                  onClick={() => void remove(id)}
                >
                  Remove
                </button>
              )
            )}
          </li>
        ))}
      </ul>
      <form className="add-member" onSubmit={(e) => void add(e)} noValidate>
        <label htmlFor="add-member-username">Add a member (username)</label>
        <div className="inline-field">
          <input
            id="add-member-username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            aria-describedby="members-error"
          />
          <button type="submit" className="secondary">
            Add
          </button>
        </div>
      </form>
      <p id="members-error" className="field-error" aria-live="polite">
        {error}
      </p>
      <p className="visually-hidden" role="status">
        {status}
      </p>
    </section>
  );
}
