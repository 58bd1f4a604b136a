import type { Pool } from 'pg';

/** PROTOCOL §2 Message, as HTTP returns it. */
export interface MessageView {
  readonly messageId: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly senderId: string;
  readonly text: string;
  readonly sentAt: string;
  /** For the caller's own messages: the least advanced status among the recipients. */
  readonly status?: string;
  readonly deleted?: true;
  /** When the latest edit was made (PROTOCOL §2.7); absent for a message never edited. */
  readonly editedAt?: string;
}

export interface ConversationView {
  readonly conversationId: string;
  readonly kind: 'direct' | 'group';
  readonly title?: string;
  /** Who created it: a group's creator (who alone removes others), a direct one's first sender. */
  readonly createdBy: string;
  readonly memberIds: string[];
  readonly lastMessage?: MessageView;
  readonly unreadCount: number;
  readonly updatedAt: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass back (as `beforeSeq`, `afterSeq` or `cursor`, as the call says) for the next page. */
  readonly nextCursor?: string;
}

interface MessageRow {
  readonly message_id: string;
  readonly conversation_id: string;
  readonly seq: string;
  readonly sender_id: string;
  readonly text: string;
  readonly sent_at: Date;
  readonly deleted_for_everybody: boolean;
  /** A Date from a row; text when the row came through to_jsonb (the conversation list). */
  readonly edited_at: Date | string | null;
  readonly status: string | null;
}

const STATUS_BY_RANK = `CASE COALESCE(min(COALESCE(r.status_rank, 0)), 0)
  WHEN 0 THEN 'sent' WHEN 1 THEN 'pending' WHEN 2 THEN 'failed' WHEN 3 THEN 'delivered' ELSE 'read' END`;

/**
 * The columns of a message row `m` as the caller `$1` sees it: the status only for the caller's own
 * messages (the least advanced among the current other members), the text erased when deleted.
 */
const MESSAGE_COLUMNS = `m.message_id, m.conversation_id, m.seq, m.sender_id, m.text, m.sent_at, m.deleted_for_everybody, m.edited_at,
  CASE WHEN m.sender_id = $1 THEN (
    SELECT ${STATUS_BY_RANK}
      FROM conversation_members cm
      LEFT JOIN message_recipients r ON r.message_id = m.message_id AND r.recipient_id = cm.user_id
     WHERE cm.conversation_id = m.conversation_id AND cm.user_id <> m.sender_id AND cm.left_at IS NULL
  ) END AS status`;

/** Messages the caller deleted for themselves are gone for them. */
const NOT_HIDDEN = `NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.message_id = m.message_id AND h.user_id = $1)`;

export function toMessageView(row: MessageRow): MessageView {
  return {
    messageId: row.message_id,
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    text: row.deleted_for_everybody ? '' : row.text,
    sentAt: row.sent_at.toISOString(),
    ...(row.status ? { status: row.status } : {}),
    ...(row.deleted_for_everybody ? { deleted: true as const } : {}),
    // A deletion for everybody erases the edit time with the text (the projection does, too).
    ...(row.edited_at !== null && !row.deleted_for_everybody
      ? { editedAt: new Date(row.edited_at).toISOString() }
      : {}),
  };
}

/** The caller's conversations, newest activity first, with the last message and the unread count. */
/** Where a page of the conversation list ends: the last row's activity (in µs) and id. */
export interface ConversationCursor {
  readonly updatedUs: string;
  readonly conversationId: string;
}

export function encodeConversationCursor(cursor: ConversationCursor): string {
  return Buffer.from(JSON.stringify([cursor.updatedUs, cursor.conversationId])).toString('base64url');
}

export function decodeConversationCursor(cursor: string): ConversationCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[1] !== 'string')
      return undefined;
    if (!/^\d{1,20}$/.test(value[0])) return undefined;
    return { updatedUs: value[0], conversationId: value[1] };
  } catch {
    return undefined;
  }
}

/** The caller's conversations, newest activity first, a page at a time. */
export async function listConversations(
  pool: Pool,
  userId: string,
  page: { readonly limit: number; readonly after?: ConversationCursor } = { limit: 1_000 },
): Promise<Page<ConversationView>> {
  const { rows } = await pool.query<{
    conversation_id: string;
    kind: string;
    title: string | null;
    created_by: string;
    member_ids: string[];
    unread: string;
    updated_at: Date;
    updated_us: string;
    last: MessageRow | null;
  }>(
    `SELECT * FROM (
     SELECT c.conversation_id, c.kind, c.title, c.created_by,
            ARRAY(SELECT cm.user_id FROM conversation_members cm
                   WHERE cm.conversation_id = c.conversation_id AND cm.left_at IS NULL
                   ORDER BY cm.joined_at, cm.user_id) AS member_ids,
            (SELECT count(*) FROM messages m
              WHERE m.conversation_id = c.conversation_id
                AND m.seq > COALESCE(rd.read_up_to_seq, -1)
                AND m.sender_id <> $1 AND NOT m.deleted_for_everybody AND ${NOT_HIDDEN}) AS unread,
            GREATEST(c.created_at, me.joined_at, last.sent_at) AS updated_at,
            to_jsonb(last) AS last
       FROM conversation_members me
       JOIN conversations c ON c.conversation_id = me.conversation_id
       LEFT JOIN conversation_reads rd ON rd.conversation_id = me.conversation_id AND rd.user_id = $1
       LEFT JOIN LATERAL (
         SELECT ${MESSAGE_COLUMNS} FROM messages m
          WHERE m.conversation_id = c.conversation_id AND ${NOT_HIDDEN}
          ORDER BY m.seq DESC LIMIT 1
       ) last ON true
      WHERE me.user_id = $1 AND me.left_at IS NULL
     ) listed
     CROSS JOIN LATERAL (SELECT (extract(epoch from listed.updated_at) * 1000000)::bigint AS updated_us) t
     WHERE $2::bigint IS NULL OR (t.updated_us, listed.conversation_id) < ($2::bigint, $3::text)
     ORDER BY t.updated_us DESC, listed.conversation_id DESC
     LIMIT $4`,
    [userId, page.after?.updatedUs ?? null, page.after?.conversationId ?? '', page.limit + 1],
  );
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  const last = shown[shown.length - 1];
  return {
    items: shown.map((row) => ({
      conversationId: row.conversation_id,
      kind: row.kind === 'DIRECT' ? 'direct' : 'group',
      ...(row.title !== null ? { title: row.title } : {}),
      createdBy: row.created_by,
      memberIds: row.member_ids,
      // to_jsonb turns the timestamp into text; the view wants the same shape as elsewhere.
      ...(row.last
        ? { lastMessage: toMessageView({ ...row.last, sent_at: new Date(row.last.sent_at) }) }
        : {}),
      unreadCount: Number(row.unread),
      updatedAt: row.updated_at.toISOString(),
    })),
    ...(more && last
      ? {
          nextCursor: encodeConversationCursor({
            updatedUs: last.updated_us,
            conversationId: last.conversation_id,
          }),
        }
      : {}),
  };
}

export interface MessagePageQuery {
  readonly beforeSeq?: number;
  readonly afterSeq?: number;
  readonly limit: number;
}

/**
 * One page of a conversation, ordered by seq (keyset pagination). Without a cursor: the newest page;
 * with `beforeSeq`: older pages (nextCursor is the next `beforeSeq`); with `afterSeq`: newer pages
 * (nextCursor is the next `afterSeq`). The caller must be a member (checked by the caller).
 */
export async function conversationMessages(
  pool: Pool,
  userId: string,
  conversationId: string,
  query: MessagePageQuery,
): Promise<Page<MessageView>> {
  const forward = query.afterSeq !== undefined;
  const bound = forward ? query.afterSeq : query.beforeSeq;
  const { rows } = await pool.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m
      WHERE m.conversation_id = $2 AND ${NOT_HIDDEN}
        AND ($3::bigint IS NULL OR m.seq ${forward ? '>' : '<'} $3)
      ORDER BY m.seq ${forward ? 'ASC' : 'DESC'} LIMIT $4`,
    [userId, conversationId, bound ?? null, query.limit + 1],
  );
  const more = rows.length > query.limit;
  const page = rows.slice(0, query.limit).map(toMessageView);
  if (!forward) page.reverse();
  const edge = forward ? page[page.length - 1] : page[0];
  return { items: page, ...(more && edge ? { nextCursor: String(edge.seq) } : {}) };
}

/**
 * Every message visible to the caller sent after `since`, across conversations, ordered by time.
 * Paged: `nextCursor` continues after the last message of the page (ties in time are ordered by id).
 */
export async function messagesSince(
  pool: Pool,
  userId: string,
  since: Date,
  limit: number,
  cursor?: { readonly sentAt: Date; readonly messageId: string },
): Promise<Page<MessageView>> {
  const { rows } = await pool.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS}
       FROM conversation_members me
       JOIN messages m ON m.conversation_id = me.conversation_id
      WHERE me.user_id = $1 AND me.left_at IS NULL AND ${NOT_HIDDEN}
        AND m.sent_at > $2
        AND ($3::timestamptz IS NULL OR (m.sent_at, m.message_id) > ($3, $4))
      ORDER BY m.sent_at, m.message_id LIMIT $5`,
    [userId, since, cursor?.sentAt ?? null, cursor?.messageId ?? '', limit + 1],
  );
  const page = rows.slice(0, limit).map(toMessageView);
  const last = page[page.length - 1];
  return {
    items: page,
    ...(rows.length > limit && last
      ? { nextCursor: encodeSinceCursor(new Date(last.sentAt), last.messageId) }
      : {}),
  };
}

/** An opaque cursor for messagesSince: the last message's time and id, base64url. */
export function encodeSinceCursor(sentAt: Date, messageId: string): string {
  return Buffer.from(JSON.stringify([sentAt.toISOString(), messageId])).toString('base64url');
}

export function decodeSinceCursor(cursor: string): { sentAt: Date; messageId: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[1] !== 'string')
      return undefined;
    const sentAt = new Date(value[0]);
    return Number.isNaN(sentAt.getTime()) ? undefined : { sentAt, messageId: value[1] };
  } catch {
    return undefined;
  }
}
