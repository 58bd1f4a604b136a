import { DomainError, invalid } from './domain-errors';
import { characterCount, parseClientId, parseMessageText, requireStorable } from './input-rules';

/** The same request arrives as a STOMP SEND body or an HTTP body; both are parsed here. */
type Body = Readonly<Record<string, unknown>>;

export const TITLE_MAX = 100;
export const GROUP_MEMBERS_MAX = 1_000;

export type SendTarget =
  | { readonly kind: 'conversation'; readonly conversationId: string }
  | { readonly kind: 'recipient'; readonly recipientId: string };

export interface SendRequest {
  readonly messageId: string;
  readonly target: SendTarget;
  readonly text: string;
}

export interface ReadRequest {
  readonly conversationId: string;
  readonly seq: number;
}

export type DeleteScope = 'ME' | 'EVERYONE';

export interface DeleteRequest {
  readonly messageId: string;
  readonly scope: DeleteScope;
}

export interface GroupRequest {
  readonly title: string;
  readonly memberIds: readonly string[];
}

/** A JSON object body, or a clear refusal (a STOMP body is bytes; an HTTP body may be any JSON). */
export function parseJsonObject(raw: string | Buffer): Body {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw invalid('MALFORMED_JSON', 'the body is not valid JSON');
  }
  return asObject(value);
}

export function asObject(value: unknown): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('INVALID_BODY', 'the body must be a JSON object');
  return value as Body;
}

/** `{messageId, conversationId? | recipientId?, text}`: exactly one of the two targets. */
export function parseSendRequest(body: Body): SendRequest {
  const messageId = parseClientId(body.messageId, 'messageId');
  const hasConversation = body.conversationId !== undefined && body.conversationId !== null;
  const hasRecipient = body.recipientId !== undefined && body.recipientId !== null;
  if (hasConversation === hasRecipient)
    throw invalid('INVALID_TARGET', 'give exactly one of conversationId and recipientId');
  const target: SendTarget = hasConversation
    ? { kind: 'conversation', conversationId: parseClientId(body.conversationId, 'conversationId') }
    : { kind: 'recipient', recipientId: parseClientId(body.recipientId, 'recipientId') };
  return { messageId, target, text: parseMessageText(body.text) };
}

/** `{conversationId, seq}`: everything up to and including `seq` is read. */
export function parseReadRequest(body: Body): ReadRequest {
  return {
    conversationId: parseClientId(body.conversationId, 'conversationId'),
    seq: parseSeq(body.seq, 'seq'),
  };
}

/** `{messageId, scope: "me" | "everyone"}` (STOMP) */
export function parseDeleteRequest(body: Body): DeleteRequest {
  const messageId = parseClientId(body.messageId, 'messageId');
  if (body.scope === 'me') return { messageId, scope: 'ME' };
  if (body.scope === 'everyone') return { messageId, scope: 'EVERYONE' };
  throw invalid('INVALID_SCOPE', 'scope must be "me" or "everyone"');
}

/** The PATCH status call: `read`, `deleted_for_sender` (delete for me) or `deleted_for_everybody`. */
export function parseStatusChange(body: Body): 'read' | DeleteScope {
  switch (body.status) {
    case 'read':
      return 'read';
    case 'deleted_for_sender':
      return 'ME';
    case 'deleted_for_everybody':
      return 'EVERYONE';
    default:
      throw invalid(
        'INVALID_STATUS',
        'status must be "read", "deleted_for_sender" or "deleted_for_everybody"',
      );
  }
}

/** `{title, memberIds}`: the creator is added by the caller of this rule, not counted here. */
export function parseGroupRequest(body: Body): GroupRequest {
  const { title, memberIds } = body;
  if (typeof title !== 'string' || title.trim() === '' || characterCount(title) > TITLE_MAX)
    throw invalid('INVALID_TITLE', `title must be 1 to ${TITLE_MAX} characters`);
  requireStorable(title, 'title');
  if (!Array.isArray(memberIds)) throw invalid('INVALID_MEMBERS', 'memberIds must be an array of user ids');
  if (memberIds.length > GROUP_MEMBERS_MAX)
    throw invalid('INVALID_MEMBERS', `a group has at most ${GROUP_MEMBERS_MAX} members`);
  const ids = memberIds.map((id) => parseClientId(id, 'memberIds[]'));
  return { title: title.trim(), memberIds: [...new Set(ids)] };
}

/** A `seq` or a cursor: a non-negative safe integer, given as a number or a decimal string. */
export function parseSeq(value: unknown, field: string): number {
  const number = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0)
    throw invalid('INVALID_SEQ', `${field} must be a non-negative integer`, { field });
  return number;
}

/** `limit` of a page: default, at least 1, at most `max`. */
export function parseLimit(value: unknown, defaultLimit: number, max: number): number {
  if (value === undefined || value === '') return defaultLimit;
  const limit = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw invalid('INVALID_LIMIT', `limit must be 1 to ${max}`);
  return limit;
}

/** An ISO-8601 instant with a time zone, as `since`. */
export function parseInstant(value: unknown, field: string): Date {
  const date =
    typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:?\d{2})$/.test(value)
      ? new Date(value)
      : undefined;
  if (!date || Number.isNaN(date.getTime()))
    throw invalid(
      'INVALID_TIME',
      `${field} must be an ISO-8601 time with a zone, like 2026-01-31T12:00:00Z`,
      {
        field,
      },
    );
  return date;
}

export const notFound = (what: string, id: string) =>
  new DomainError('not_found', 'NOT_FOUND', `${what} ${id} not found`);
