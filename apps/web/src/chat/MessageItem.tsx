import { useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ChatMessage, ParleyClient } from '@parley/client';
import { tickOf, timeOf } from './timeline';

export interface MessageItemProps {
  readonly client: ParleyClient;
  readonly message: ChatMessage;
  /** Shown above others' messages in groups. */
  readonly senderName: string | undefined;
  readonly onError: (message: string) => void;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** One message: text (or that it was deleted), time, the tick of an own message, and its actions. */
export function MessageItem({ client, message, senderName, onError }: MessageItemProps) {
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const tick = message.own ? tickOf(message.status) : undefined;
  const recorded = message.seq !== undefined;
  const editing = draft !== undefined;
  const remove = (scope: 'me' | 'everyone') =>
    client
      .deleteMessage(message.conversationId, message.messageId, scope)
      .catch((error: unknown) => onError(`The message could not be deleted: ${reason(error)}`));
  const saveEdit = async () => {
    const text = draft ?? '';
    // Parley refuses text that is only white space (PROTOCOL §2.5); an unchanged text is no edit.
    if (!text.trim() || text === message.text) {
      setDraft(undefined);
      return;
    }
    try {
      await client.editMessage(message.conversationId, message.messageId, text);
      setDraft(undefined);
    } catch (error) {
      onError(`The message could not be edited: ${reason(error)}`);
    }
  };
  const onEditKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') setDraft(undefined);
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void saveEdit();
    }
  };
  const editFieldId = `edit-${message.messageId}`;
  return (
    <li
      className={`message ${message.own ? 'message-own' : 'message-other'}${message.deleted ? ' message-deleted' : ''}`}
      data-status={message.status}
    >
      {senderName && <p className="message-sender">{senderName}</p>}
      {editing ? (
        <form
          className="message-edit"
          onSubmit={(event: FormEvent<HTMLFormElement>) => {
            event.preventDefault();
            void saveEdit();
          }}
        >
          <label htmlFor={editFieldId} className="visually-hidden">
            Edit message
          </label>
          <textarea
            id={editFieldId}
            rows={2}
            maxLength={4000}
            value={draft}
            autoFocus
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onEditKey}
          />
          <div className="message-edit-buttons">
            <button type="button" className="secondary" onClick={() => setDraft(undefined)}>
              Cancel
            </button>
            <button type="submit" className="primary">
              Save
            </button>
          </div>
        </form>
      ) : (
        <p className="message-text">{message.deleted ? 'This message was deleted.' : message.text}</p>
      )}
      <p className="message-meta">
        {message.editedAt && !message.deleted && (
          <span className="message-edited" title={`Edited ${timeOf(message.editedAt)}`}>
            edited
          </span>
        )}
        {message.sentAt && <time dateTime={message.sentAt}>{timeOf(message.sentAt)}</time>}
        {tick && (
          <span
            className={`tick tick-${message.status ?? 'sent'}`}
            role="img"
            aria-label={tick.label}
            title={tick.label}
          >
            {tick.symbol}
          </span>
        )}
      </p>
      {message.status === 'failed' && message.failure && (
        <p className="message-failure">
          Not sent: {message.failure.message}{' '}
          <button type="button" className="link-button" onClick={() => void client.retry(message.messageId)}>
            Retry
          </button>{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => void client.discard(message.messageId)}
          >
            Discard
          </button>
        </p>
      )}
      {recorded && !message.deleted && !editing && (
        <details className="message-actions">
          <summary aria-label="Message options">⋯</summary>
          <div className="message-menu">
            {message.own && (
              <button type="button" className="secondary" onClick={() => setDraft(message.text)}>
                Edit
              </button>
            )}
            <button type="button" className="secondary" onClick={() => void remove('me')}>
              Delete for me
            </button>
            {message.own && (
              <button type="button" className="secondary danger" onClick={() => void remove('everyone')}>
                Delete for everybody
              </button>
            )}
          </div>
        </details>
      )}
    </li>
  );
}
