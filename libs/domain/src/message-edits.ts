import { DomainError } from './domain-errors';
import { parseClientId, parseMessageText } from './input-rules';

/** How long after sending the sender may edit a message, unless configured (EDIT_WINDOW_MS): 24 h. */
export const EDIT_WINDOW_MS_DEFAULT = 24 * 60 * 60 * 1000;

/** `PATCH /v1/messages/{messageId}` `{text, editId?}` and `/app/chat.edit` `{messageId, text, editId?}`. */
export interface EditRequest {
  readonly messageId: string;
  readonly text: string;
  /**
   * The client's id of this edit: a retry with the same one records nothing new and gets the first
   * answer (once the first is recorded). Absent: Parley picks one, and a retry is a new edit.
   */
  readonly editId?: string;
}

type Body = Readonly<Record<string, unknown>>;

/** The body of an edit; over HTTP the messageId comes from the path, over STOMP from the body. */
export function parseEditRequest(body: Body, pathMessageId?: string): EditRequest {
  const messageId = pathMessageId ?? parseClientId(body.messageId, 'messageId');
  // The same text rules as a send: 1 to 4,000 characters, not only white space, storable.
  const text = parseMessageText(body.text);
  const editId =
    body.editId === undefined || body.editId === null ? undefined : parseClientId(body.editId, 'editId');
  return { messageId, text, ...(editId !== undefined ? { editId } : {}) };
}

/** What the edit rule needs to know of the message. */
export interface EditableMessage {
  readonly messageId: string;
  readonly senderId: string;
  readonly sentAtMs: number;
  readonly deletedForEverybody: boolean;
}

/**
 * Whether the edit window is still open: an edit is allowed while less than `windowMs` has passed
 * since the message was sent (at `sentAtMs + windowMs` exactly it is closed). A clock that reads a
 * moment before the send (another gateway node) counts as inside the window.
 */
export function editWindowOpen(sentAtMs: number, nowMs: number, windowMs: number): boolean {
  return nowMs - sentAtMs < windowMs;
}

/**
 * The edit rule (PROTOCOL §2.7): only the sender edits (`403 NOT_SENDER`), never a message deleted
 * for everybody (`409 MESSAGE_DELETED`), and only within the window (`409 EDIT_WINDOW_CLOSED`).
 * Checked in that order, so a non-sender learns nothing about the message's state. Throws the
 * refusal; returns when the edit may be recorded.
 */
export function checkEdit(message: EditableMessage, editorId: string, nowMs: number, windowMs: number): void {
  if (message.senderId !== editorId)
    throw new DomainError('forbidden', 'NOT_SENDER', 'only the sender may edit a message');
  if (message.deletedForEverybody)
    throw new DomainError(
      'conflict',
      'MESSAGE_DELETED',
      `message ${message.messageId} was deleted for everybody`,
    );
  if (!editWindowOpen(message.sentAtMs, nowMs, windowMs))
    throw new DomainError(
      'conflict',
      'EDIT_WINDOW_CLOSED',
      `a message can be edited up to ${formatWindow(windowMs)} after it was sent`,
    );
}

/** `86400000` → `24 h`, `90000` → `90 s`: the window as people read it. */
function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}
