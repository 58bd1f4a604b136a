// Claims against a real PostgreSQL: a batch of claims inserts its rows in id order, so two nodes
// claiming the same messageIds at once (a client retrying on another node) wait for each other in
// one order and never deadlock.
import type { Pool } from 'pg';
import { testPool, createTestWorld, waitForLockWaits, type TestWorld } from '@parley/testing';
import { MessageClaims, type NewClaim } from './message-claims';

describe('MessageClaims.claim', () => {
  let world: TestWorld;
  let pool: Pool;

  beforeAll(async () => {
    world = await createTestWorld('message-claims', { database: true });
    pool = testPool({ connectionString: world.databaseUrl });
  });

  afterAll(async () => {
    await pool.end();
    await world.dispose();
  });

  const claimOf = (messageId: string): NewClaim => ({
    messageId,
    senderId: 'ada',
    conversationId: 'c-1',
    sentAtMs: Date.now(),
  });

  it('given another node inserting claim "a" uncommitted, when a batch claims "b" then "a", then it waits for "a" without holding "b", and both answers name the other claimant', async () => {
    const blocker = await pool.connect();
    const claimsPool = testPool({ connectionString: world.databaseUrl });
    const insert = `INSERT INTO message_claims (message_id, sender_id, conversation_id, sent_at, lease_until)
                    VALUES ($1, 'grace', 'c-1', now(), now() + interval '30 seconds') ON CONFLICT DO NOTHING`;
    try {
      await blocker.query('BEGIN');
      await blocker.query(insert, ['claim-a']);
      const claims = new MessageClaims(claimsPool, 30_000);
      // Submitted in the same turn: one batch, in this order. Settled, so that a failure below
      // leaves no rejection unhandled.
      const answers = Promise.allSettled([
        claims.claim(claimOf('claim-b')),
        claims.claim(claimOf('claim-a')),
      ]);
      await waitForLockWaits(pool, 'WITH input AS', 1);

      // The other node goes on to "b": free, as the batch has not inserted it yet (in log order
      // it would have, and this insert would wait for the batch while the batch waits for it).
      await blocker.query(`SET LOCAL lock_timeout = '1s'`);
      await expect(blocker.query(insert, ['claim-b'])).resolves.toMatchObject({ rowCount: 1 });
      await blocker.query('COMMIT');

      for (const answer of await answers) {
        expect(answer).toMatchObject({
          status: 'fulfilled',
          value: { kind: 'existing', state: { kind: 'claimed', senderId: 'grace' } },
        });
      }
    } finally {
      // Destroyed, not returned: a failed test may leave it inside a transaction holding claim-a,
      // which the batch would wait for while the pool ends.
      blocker.release(true);
      await claimsPool.end();
    }
  });

  it('given one messageId twice in a batch of ten, from two senders, then the first is the claimant: its row lands and the second is told it is taken by the first', async () => {
    const claims = new MessageClaims(pool, 30_000);
    const ids = Array.from({ length: 10 }, (_, i) => `dup-batch-${i}`);
    // The same id at places 3 and 8 (PostgreSQL's sort is not stable from 7 rows up: in id order
    // alone, either could land first).
    ids[7] = ids[2]!;
    const batch = ids.map((messageId, i) => ({ ...claimOf(messageId), senderId: i === 7 ? 'grace' : 'ada' }));

    const answers = await Promise.all(batch.map((claim) => claims.claim(claim)));

    expect(answers[2]).toEqual({ kind: 'fresh' });
    expect(answers[7]).toMatchObject({ kind: 'existing', state: { kind: 'claimed', senderId: 'ada' } });
    const { rows } = await pool.query<{ sender_id: string }>(
      'SELECT sender_id FROM message_claims WHERE message_id = $1',
      [ids[2]],
    );
    expect(rows).toEqual([{ sender_id: 'ada' }]);
  });
});
