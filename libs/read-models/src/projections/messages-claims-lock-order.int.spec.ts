// The messages projection marks the claims of a chunk's sends as acked in id order, the order in
// which the gateway's acked mark locks them (MessageClaims), so the two never deadlock over claims
// they share (a projector and a gateway each holding one and waiting for the other until
// PostgreSQL breaks it a second later, seen under load before the order was fixed).
import type { Pool } from 'pg';
import { applyEntries, type PositionedEvent } from '@parley/projections';
import { messagesProjection } from '@parley/read-models';
import { testPool, createTestWorld, waitForLockWaits, type TestWorld } from '@parley/testing';

describe('messages projection: claims', () => {
  let world: TestWorld;
  let pool: Pool;

  beforeAll(async () => {
    world = await createTestWorld('claims-lock-order', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
  });

  afterAll(async () => {
    await pool.end();
    await world.dispose();
  });

  const sent = (messageId: string, offset: number): PositionedEvent => ({
    event: {
      type: 'MessageSent',
      eventId: `e-${messageId}`,
      occurredAt: Date.now(),
      messageId,
      conversationId: 'c-1',
      senderId: 'ada',
      recipientId: 'grace',
      text: 'hi',
      replyToMessageId: null,
    },
    position: { topic: 'chat.messages', partition: 0, offset: String(offset) },
  });

  it('given a mark holding claim "a", when a chunk sends "b", a new "c", then "a", then the chunk waits for "a" without holding "b", and ends with all three acked', async () => {
    await pool.query(
      `INSERT INTO message_claims (message_id, sender_id, conversation_id, sent_at, lease_until)
       SELECT id, 'ada', 'c-1', now(), now() + interval '30 seconds' FROM unnest($1::text[]) id`,
      [['claim-a', 'claim-b']],
    );
    const mark = await pool.connect();
    const projector = await pool.connect();
    try {
      // The gateway's mark, in id order: "a" first.
      await mark.query('BEGIN');
      await mark.query(`SELECT 1 FROM message_claims WHERE message_id = 'claim-a' FOR UPDATE`);
      await projector.query('BEGIN');
      // claim-c is new: the chunk inserts it acked. Settled, so that a failure below leaves no
      // rejection unhandled.
      const applying = applyEntries(projector, messagesProjection, [
        sent('claim-b', 0),
        sent('claim-c', 1),
        sent('claim-a', 2),
      ]).then(
        () => undefined,
        (error: unknown) => error,
      );
      await waitForLockWaits(pool, 'INSERT INTO message_claims', 1);

      // The mark goes on to "b": free (in log order the chunk would hold it, a deadlock).
      await expect(
        mark.query(`SELECT 1 FROM message_claims WHERE message_id = 'claim-b' FOR UPDATE NOWAIT`),
      ).resolves.toMatchObject({ rowCount: 1 });
      // The mark acks "a" only: "b" and "c" must be the chunk's doing.
      await mark.query(`UPDATE message_claims SET acked = true WHERE message_id = 'claim-a'`);
      await mark.query('COMMIT');
      expect(await applying).toBeUndefined();
      await projector.query('COMMIT');

      const { rows } = await pool.query<{ message_id: string; acked: boolean }>(
        `SELECT message_id, acked FROM message_claims ORDER BY message_id`,
      );
      expect(rows).toEqual([
        { message_id: 'claim-a', acked: true },
        { message_id: 'claim-b', acked: true },
        { message_id: 'claim-c', acked: true },
      ]);
      const messages = await pool.query(`SELECT message_id FROM messages ORDER BY message_id`);
      expect(messages.rows.map((row) => row.message_id)).toEqual(['claim-a', 'claim-b', 'claim-c']);
    } finally {
      // Destroyed, not returned: a failed test may leave them inside a transaction or a statement.
      mark.release(true);
      projector.release(true);
    }
  });
});
