import type { ChatMessage, ParleyClient } from '@parley/client';
import { tickOf, timeOf } from './timeline';

export interface MessageItemProps {
  readonly client: ParleyClient;
  readonly message: ChatMessage;
  /** Shown above others' messages in groups. */
  readonly senderName: string | undefined;
  readonly onError: (message: string) => void;
}

/** One message: text (or that it was deleted), time, the tick of an own message, and its actions. */
export function MessageItem({ client, message, senderName, onError }: MessageItemProps) {
  const tick = message.own ? tickOf(message.status) : undefined;
  const recorded = message.seq !== undefined;
  const remove = (scope: 'me' | 'everyone') =>
    client
      .deleteMessage(message.conversationId, message.messageId, scope)
      .catch((error: unknown) =>
        onError(
          `The message could not be deleted: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  return (
    <li
      className={`message ${message.own ? 'message-own' : 'message-other'}${message.deleted ? ' message-deleted' : ''}`}
      data-status={message.status}
    >
      {senderName && <p className="message-sender">{senderName}</p>}
      <p className="message-text">{message.deleted ? 'This message was deleted.' : message.text}</p>
      <p className="message-meta">
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
      {recorded && !message.deleted && (
        <details className="message-actions">
          <summary aria-label="Message options">⋯</summary>
          <div className="message-menu">
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
