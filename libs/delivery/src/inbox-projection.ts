import type { ParleyEvent } from '@parley/events';
import { sql, type EventPosition, type Projection, type SqlStatement } from '@parley/projections';

/** PROTOCOL §3: the bodies of `/user/queue/messages` frames. */
export type InboxBody =
  | {
      readonly kind: 'message';
      readonly messageId: string;
      readonly conversationId: string;
      readonly seq: number;
      readonly senderId: string;
      readonly text: string;
      readonly sentAt: string;
    }
  | { readonly kind: 'deleted'; readonly messageId: string; readonly conversationId: string }
  | {
      readonly kind: 'edited';
      readonly messageId: string;
      readonly conversationId: string;
      readonly editId: string;
      readonly text: string;
      readonly editedAt: string;
    }
  /** Not stored: told to a device whose position is older than the inbox retention. */
  | { readonly kind: 'gap'; readonly fromPosition: number; readonly toPosition: number };

/** What each appended item reports after its transaction committed (see InboxNotifier). */
export interface AppendedItem {
  readonly user_id: string;
  readonly position: string;
  readonly kind: InboxBody['kind'];
  readonly message_id: string;
  readonly conversation_id: string;
  /** The message's sender (message items only). */
  readonly sender_id: string | null;
  readonly body: InboxBody;
}

/** One event's contribution to the inboxes: an item for every other member. */
interface Addressed {
  readonly kind: InboxBody['kind'];
  readonly messageId: string;
  readonly conversationId: string;
  /** One item per edit (empty for messages and deletions, one per message and kind). */
  readonly editId: string;
  /** The member who does not get it (the sender, the deleter, the editor). */
  readonly excludedUserId: string;
  readonly atMs: number;
  readonly body: InboxBody;
}

function addressed(event: ParleyEvent, position: EventPosition): Addressed | undefined {
  switch (event.type) {
    case 'MessageSent':
      return {
        kind: 'message',
        messageId: event.messageId,
        conversationId: event.conversationId,
        editId: '',
        excludedUserId: event.senderId,
        atMs: event.occurredAt,
        body: {
          kind: 'message',
          messageId: event.messageId,
          conversationId: event.conversationId,
          seq: Number(position.offset),
          senderId: event.senderId,
          text: event.text,
          sentAt: new Date(event.occurredAt).toISOString(),
        },
      };
    case 'MessageDeleted':
      // A deletion for oneself concerns nobody else.
      if (event.scope !== 'EVERYONE') return undefined;
      return {
        kind: 'deleted',
        messageId: event.messageId,
        conversationId: event.conversationId,
        editId: '',
        excludedUserId: event.deletedBy,
        atMs: event.occurredAt,
        body: { kind: 'deleted', messageId: event.messageId, conversationId: event.conversationId },
      };
    case 'MessageEdited':
      return {
        kind: 'edited',
        messageId: event.messageId,
        conversationId: event.conversationId,
        editId: event.editId,
        excludedUserId: event.editedBy,
        atMs: event.occurredAt,
        body: {
          kind: 'edited',
          messageId: event.messageId,
          conversationId: event.conversationId,
          editId: event.editId,
          text: event.text,
          editedAt: new Date(event.occurredAt).toISOString(),
        },
      };
    default:
      return undefined;
  }
}

/**
 * Appends the items of a chunk of events (in log order) to their recipients' inboxes in one
 * statement. Recipients are the conversation's other members at the event's time (a direct
 * conversation's two members always); a user who has the item already gets nothing (an edit: that
 * edit id of the message). An edit does not reach a member who hid the message for themselves, nor
 * one who has its deletion for everybody already (an edit that raced the deletion). Each user's
 * inbox_heads row is moved by the number of their new items in one upsert, which locks it until
 * commit, so positions are dense per user and commit in order; within the chunk, items take their
 * positions in log order. Users are locked in id order, so two workers never wait on each other in
 * a circle.
 *
 * `OFFSET 0` keeps "has it already" a probe of inbox_items_once per recipient: as an anti join the
 * planner (tables not analysed yet, or a hundred items per user) chose the primary key on user_id
 * alone and read the recipient's whole inbox for every item, a cost growing with the inbox
 * (1.4 ms of the statement's 1.5 at 200 msgs/s in bench:e2e, docs/decisions.md).
 *
 * Each item finds its user's new head in one JSON object (a binary search by key), not by joining
 * the `heads` CTE: the planner expects a handful of rows from a CTE and joined them in a nested
 * loop, comparing every item with every user (quadratic in a chunk for many users: a worker
 * catching up, or a busy node with a thousand pairs). The heads come from the upsert's RETURNING,
 * never from a read of inbox_heads, whose snapshot may predate another worker's commit. The
 * lookup happens below the window's sort (`OFFSET 0`), which would otherwise carry the whole
 * object in every row it sorts, and the object is built once (`MATERIALIZED`: inlined, a plan made
 * before the tables' first ANALYZE rebuilt it for every item). 2,000 items for 2,000 users with
 * nested loops forced: 3.8 s before, 0.1 s now (docs/status.md, session 14).
 */
function appendToInboxes(items: readonly Addressed[]): SqlStatement {
  return sql(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::double precision[], $6::jsonb[], $7::text[])
         WITH ORDINALITY AS t(kind, message_id, conversation_id, excluded, at_ms, body, edit_id, ord)
     ), recipients AS (
       SELECT DISTINCT ON (m.user_id, i.kind, i.message_id, i.edit_id)
              m.user_id, i.kind, i.message_id, i.edit_id, i.conversation_id, i.body, i.at_ms, i.ord
         FROM input i
         JOIN conversations c ON c.conversation_id = i.conversation_id
         JOIN conversation_members m ON m.conversation_id = i.conversation_id
        WHERE m.user_id <> i.excluded
          AND (c.kind = 'DIRECT' OR m.joined_at <= to_timestamp(i.at_ms / 1000))
          AND (m.left_at IS NULL OR m.left_at > to_timestamp(i.at_ms / 1000))
          AND NOT EXISTS (SELECT 1 FROM inbox_items x
                           WHERE x.user_id = m.user_id AND x.kind = i.kind AND x.message_id = i.message_id
                             AND x.edit_id = i.edit_id OFFSET 0)
          AND (i.kind <> 'edited' OR (
                NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.message_id = i.message_id AND h.user_id = m.user_id)
            AND NOT EXISTS (SELECT 1 FROM inbox_items d
                             WHERE d.user_id = m.user_id AND d.kind = 'deleted' AND d.message_id = i.message_id)))
        ORDER BY m.user_id, i.kind, i.message_id, i.edit_id, i.ord
     ), counts AS (
       SELECT user_id, count(*) AS n FROM recipients GROUP BY user_id ORDER BY user_id
     ), heads AS (
       INSERT INTO inbox_heads (user_id, last_position) SELECT user_id, n FROM counts
       ON CONFLICT (user_id) DO UPDATE SET last_position = inbox_heads.last_position + EXCLUDED.last_position
       RETURNING user_id, last_position
     ), last_positions AS MATERIALIZED (
       SELECT jsonb_object_agg(user_id, last_position) AS of_user FROM heads
     )
     INSERT INTO inbox_items (user_id, position, kind, message_id, edit_id, conversation_id, body, created_at)
     SELECT r.user_id,
            r.head - count(*) OVER per_user + row_number() OVER (per_user ORDER BY r.ord),
            r.kind, r.message_id, r.edit_id, r.conversation_id, r.body, to_timestamp(r.at_ms / 1000)
       FROM (SELECT r.*, (l.of_user ->> r.user_id)::bigint AS head
               FROM recipients r CROSS JOIN last_positions l OFFSET 0) r
     WINDOW per_user AS (PARTITION BY r.user_id)
     RETURNING user_id, position, kind, message_id, conversation_id, body->>'senderId' AS sender_id, body`,
    items.map((item) => item.kind),
    items.map((item) => item.messageId),
    items.map((item) => item.conversationId),
    items.map((item) => item.excludedUserId),
    items.map((item) => item.atMs),
    items.map((item) => JSON.stringify(item.body)),
    items.map((item) => item.editId),
  );
}

/**
 * The items of a chunk, in log order. An edit that comes after its message's deletion for everybody
 * in the same chunk addresses nobody: the append's check for the deletion item cannot see an item
 * the same statement inserts. (Only the sender deletes for everybody and edits, so the deleter is
 * the editor.)
 */
function chunkItems(entries: readonly { event: ParleyEvent; position: EventPosition }[]): Addressed[] {
  const deleted = new Set<string>();
  const items: Addressed[] = [];
  for (const { event, position } of entries) {
    if (event.type === 'MessageDeleted' && event.scope === 'EVERYONE')
      deleted.add(`${event.messageId}\u0000${event.deletedBy}`);
    if (event.type === 'MessageEdited' && deleted.has(`${event.messageId}\u0000${event.editedBy}`)) continue;
    const item = addressed(event, position);
    if (item) items.push(item);
  }
  return items;
}

/** A row of the append's `RETURNING`, read once here (PostgreSQL answers bigint as text). */
export function readAppendedItem(row: Readonly<Record<string, unknown>>): AppendedItem {
  const { user_id, position, kind, message_id, conversation_id, sender_id, body } = row;
  if (
    typeof user_id !== 'string' ||
    (typeof position !== 'string' && typeof position !== 'number') ||
    (kind !== 'message' && kind !== 'deleted' && kind !== 'edited') ||
    typeof message_id !== 'string' ||
    typeof conversation_id !== 'string' ||
    typeof body !== 'object' ||
    body === null
  )
    throw new Error(`not an appended inbox item: ${JSON.stringify(row)}`);
  return {
    user_id,
    position: String(position),
    kind,
    message_id,
    conversation_id,
    sender_id: typeof sender_id === 'string' ? sender_id : null,
    body: body as InboxBody,
  };
}

/**
 * The delivery worker's projection: chat.messages → inbox_items. A message goes to every other
 * member; a deletion for everybody and an edit reach every other member too (a deletion for oneself
 * concerns nobody else). Statements return the appended items, which the worker announces after
 * commit.
 */
export const inboxProjection: Projection<AppendedItem> = {
  name: 'inboxes',
  topics: ['chat.messages'],
  // Not rebuildable from the topics: delivered_at and failed_at record ACKs and expiry, not events.
  tables: ['inbox_heads', 'inbox_items'],
  returned: readAppendedItem,
  apply(event, position) {
    return this.applyChunk?.([{ event, position }]) ?? [];
  },
  applyChunk(entries) {
    const items = chunkItems(entries);
    return items.length === 0 ? [] : [appendToInboxes(items)];
  },
};
