// The inbox append against a real PostgreSQL: a chunk with items for many users, interleaved, gives
// each user the next positions after their head, dense and in log order. Its heads are looked up
// by user in one statement (not joined), so this also holds for a chunk of many users.
import type { Pool } from 'pg';
import type { ParleyEvent } from '@parley/events';
import { applyEntries, type PositionedEvent } from '@parley/projections';
import { testPool, createTestWorld, type TestWorld } from '@parley/testing';
import { inboxProjection } from './inbox-projection';

describe('inbox append', () => {
  let world: TestWorld;
  let pool: Pool;

  beforeAll(async () => {
    world = await createTestWorld('inbox-append', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
  });

  afterAll(async () => {
    await pool.end();
    await world.dispose();
  });

  /** Direct conversations `c<i>` between `s<i>` (the sender) and `r<i>` (the recipient). */
  async function directConversations(count: number): Promise<void> {
    await pool.query(
      `INSERT INTO conversations (conversation_id, kind, created_by, created_at)
       SELECT 'c' || i, 'DIRECT', 's' || i, now() FROM generate_series(1, $1::int) i`,
      [count],
    );
    await pool.query(
      `INSERT INTO conversation_members (conversation_id, user_id, joined_at)
       SELECT 'c' || i, u, now() FROM generate_series(1, $1::int) i, LATERAL (VALUES ('s' || i), ('r' || i)) v(u)`,
      [count],
    );
  }

  const sent = (conversation: number, offset: number): PositionedEvent => ({
    event: {
      type: 'MessageSent',
      eventId: `e${offset}`,
      occurredAt: Date.now(),
      // Ids in the reverse of log order, so that an order by id is not mistaken for log order.
      messageId: `m${99_999 - offset}`,
      conversationId: `c${conversation}`,
      senderId: `s${conversation}`,
      recipientId: `r${conversation}`,
      text: `text ${offset}`,
      replyToMessageId: null,
    } satisfies ParleyEvent,
    position: { topic: 'chat.messages', partition: 0, offset: String(offset) },
  });

  async function apply(entries: readonly PositionedEvent[]): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await applyEntries(client, inboxProjection, entries);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  it('given 300 recipients, some with items already, when one chunk brings each of them three messages interleaved, then each gets the next three positions in log order', async () => {
    const users = 300;
    await directConversations(users);
    // Every third recipient has two items already (positions 1 and 2).
    await apply(
      Array.from({ length: users / 3 }, (_, k) => 3 * k + 1).flatMap((c, k) => [
        sent(c, 2 * k),
        sent(c, 2 * k + 1),
      ]),
    );
    // Round robin over the users: m for user 1, 2, ..., 300, then again, three rounds.
    const first = 1_000;
    const chunk = Array.from({ length: 3 * users }, (_, i) => sent((i % users) + 1, first + i));
    await apply(chunk);

    // The item's offset in the log is its seq.
    const { rows } = await pool.query<{ user_id: string; position: string; seq: number }>(
      `SELECT user_id, position, (body->>'seq')::int AS seq FROM inbox_items ORDER BY user_id, position`,
    );
    const byUser = new Map<string, { position: number; offset: number }[]>();
    for (const row of rows) {
      if (row.seq < first) continue;
      const list = byUser.get(row.user_id) ?? [];
      list.push({ position: Number(row.position), offset: row.seq });
      byUser.set(row.user_id, list);
    }
    expect(byUser.size).toBe(users);
    for (let u = 1; u <= users; u++) {
      const before = u % 3 === 1 ? 2 : 0;
      const expected = [0, 1, 2].map((round) => ({
        position: before + round + 1,
        offset: first + round * users + (u - 1),
      }));
      expect({ user: `r${u}`, items: byUser.get(`r${u}`) }).toEqual({ user: `r${u}`, items: expected });
    }
    const heads = await pool.query<{ user_id: string; last_position: string }>(
      `SELECT user_id, last_position FROM inbox_heads WHERE user_id IN ('r1', 'r2')`,
    );
    expect(Object.fromEntries(heads.rows.map((h) => [h.user_id, Number(h.last_position)]))).toEqual({
      r1: 5,
      r2: 3,
    });
  });
});
