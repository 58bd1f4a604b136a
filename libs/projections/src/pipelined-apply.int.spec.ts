import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { ParleyEvent } from '@parley/events';
import { applyChunksInOneRoundTrip, applyInOneRoundTrip } from './pipelined-apply';
import { sql, type Projection } from './projection';
import type { PositionedEvent } from './apply-entries';
import { PROJECTION_POOL_CONFIG } from '@parley/postgres';
import { createTestWorld, testPool, type TestWorld } from '@parley/testing';

/** Counts messages per conversation and returns each counted id: enough to see a double or lost apply. */
const counting: Projection = {
  name: 'pipelined-counting',
  topics: ['chat.messages'],
  tables: ['test_pipelined_counts'],
  apply(event) {
    if (event.type !== 'MessageSent') return [];
    return [
      sql(
        `INSERT INTO test_pipelined_counts (conversation_id, messages) VALUES ($1, 1)
         ON CONFLICT (conversation_id) DO UPDATE SET messages = test_pipelined_counts.messages + 1
         RETURNING conversation_id`,
        event.conversationId,
      ),
      // Fails (check_violation) for a text of 'fail': a statement error after others in the transaction.
      sql(`INSERT INTO test_pipelined_texts (text) VALUES ($1)`, event.text),
    ];
  },
};

const topic = 'chat.messages';

function sent(conversationId: string, offset: number, text = 'hello', partition = 3): PositionedEvent {
  const event = {
    type: 'MessageSent',
    eventId: randomUUID(),
    occurredAt: Date.now(),
    messageId: randomUUID(),
    conversationId,
    senderId: 'u1',
    recipientId: 'u2',
    text,
    replyToMessageId: null,
  } as unknown as ParleyEvent;
  return { event, position: { topic, partition, offset: String(offset) } };
}

// The cases build on each other (one position row), in order.
describe("applyInOneRoundTrip on a pool like the services' (pipeline mode)", () => {
  let world: TestWorld;
  let pool: Pool;

  const count = async (conversationId: string) =>
    (
      await pool.query<{ messages: number }>(
        'SELECT messages FROM test_pipelined_counts WHERE conversation_id = $1',
        [conversationId],
      )
    ).rows[0]?.messages ?? 0;
  const position = async () =>
    (
      await pool.query<{ next_offset: string }>(
        `SELECT next_offset FROM consumer_positions WHERE projection = $1 AND topic = $2 AND partition = 3`,
        [counting.name, topic],
      )
    ).rows[0]?.next_offset;
  const apply = async (entries: readonly PositionedEvent[]) => {
    const client = await pool.connect();
    try {
      expect(client.pipeline).toBe(true);
      return await applyInOneRoundTrip(client, counting, entries);
    } finally {
      client.release();
    }
  };

  beforeAll(async () => {
    world = await createTestWorld('pipelined', { database: true });
    pool = testPool({ connectionString: world.databaseUrl, max: 2, ...PROJECTION_POOL_CONFIG });
    await pool.query(
      'CREATE TABLE test_pipelined_counts (conversation_id text PRIMARY KEY, messages integer NOT NULL)',
    );
    await pool.query(`CREATE TABLE test_pipelined_texts (text text NOT NULL CHECK (text <> 'fail'))`);
  });

  afterAll(async () => {
    await pool.end();
    await world.dispose();
  });

  it('given no position row yet, when a chunk comes, then it commits nothing and says so', async () => {
    const conversation = randomUUID();
    await expect(apply([sent(conversation, 0)])).resolves.toEqual({ committed: false });
    expect(await count(conversation)).toBe(0);
    expect(await position()).toBeUndefined();
  });

  it('given the position at the chunk start, when it is applied, then rows, position and returned rows are all there', async () => {
    await pool.query(
      `INSERT INTO consumer_positions (projection, topic, partition, next_offset) VALUES ($1, $2, 3, 10)`,
      [counting.name, topic],
    );
    const conversation = randomUUID();
    const outcome = await apply([sent(conversation, 10), sent(conversation, 11)]);
    expect(outcome).toEqual({
      committed: true,
      returned: [{ conversation_id: conversation }, { conversation_id: conversation }],
    });
    expect(await count(conversation)).toBe(2);
    expect(await position()).toBe('12');
  });

  it('given records applied before (read again after a crash), when they come again, then nothing changes', async () => {
    const conversation = randomUUID();
    await expect(apply([sent(conversation, 11), sent(conversation, 12)])).resolves.toEqual({
      committed: false,
    });
    expect(await count(conversation)).toBe(0);
    expect(await position()).toBe('12');
  });

  it('given records the projection skipped past (quiet ones), when the next chunk starts beyond the position, then it applies', async () => {
    const conversation = randomUUID();
    await expect(apply([sent(conversation, 15)])).resolves.toMatchObject({ committed: true });
    expect(await count(conversation)).toBe(1);
    expect(await position()).toBe('16');
  });

  it('given a statement that fails, when the chunk is applied, then its error is thrown and nothing of the chunk is kept', async () => {
    const conversation = randomUUID();
    await expect(apply([sent(conversation, 16), sent(conversation, 17, 'fail')])).rejects.toMatchObject({
      code: '23514',
    });
    expect(await count(conversation)).toBe(0);
    expect(await position()).toBe('16');
    // The connections are usable afterwards (the transaction ended).
    await expect(apply([sent(conversation, 16)])).resolves.toMatchObject({ committed: true });
    expect(await count(conversation)).toBe(1);
  });

  it('given a value pg cannot send (a BigInt in a JSON body), when the chunk is applied, then it throws before anything is written', async () => {
    const conversation = randomUUID();
    const withBigInt: Projection = {
      ...counting,
      apply: (event, position) => [
        ...counting.apply(event, position),
        sql(`SELECT $1::jsonb AS body`, { big: 1n }),
      ],
    };
    const client = await pool.connect();
    try {
      await expect(applyInOneRoundTrip(client, withBigInt, [sent(conversation, 17)])).rejects.toThrow(
        /BigInt/,
      );
      // The connection is not left inside a transaction.
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      client.release();
    }
    expect(await count(conversation)).toBe(0);
    expect(await position()).toBe('17');
  });

  describe('chunks of several partitions in one transaction', () => {
    /** The same rules, for a projection that says its chunks may span partitions. */
    const spanning: Projection = {
      ...counting,
      applyChunk: (entries) => entries.flatMap(({ event, position }) => counting.apply(event, position)),
      chunksSpanPartitions: true,
    };
    const positionOf = async (partition: number) =>
      (
        await pool.query<{ next_offset: string }>(
          `SELECT next_offset FROM consumer_positions WHERE projection = $1 AND topic = $2 AND partition = $3`,
          [counting.name, topic, partition],
        )
      ).rows[0]?.next_offset;
    const applyChunks = async (projection: Projection, chunks: readonly (readonly PositionedEvent[])[]) => {
      const client = await pool.connect();
      try {
        return await applyChunksInOneRoundTrip(client, projection, chunks);
      } finally {
        client.release();
      }
    };

    it("given one partition's position ahead of its chunk, when chunks of two partitions come, then nothing of either is kept", async () => {
      await pool.query(
        `INSERT INTO consumer_positions (projection, topic, partition, next_offset) VALUES ($1, $2, 4, 5)`,
        [counting.name, topic],
      );
      const conversation = randomUUID();
      await expect(
        applyChunks(spanning, [[sent(conversation, 17)], [sent(conversation, 3, 'hello', 4)]]),
      ).resolves.toEqual({ committed: false });
      expect(await count(conversation)).toBe(0);
      expect([await positionOf(3), await positionOf(4)]).toEqual(['17', '5']);
    });

    it('given both at their positions, when they come, then both commit with their positions', async () => {
      const conversation = randomUUID();
      const outcome = await applyChunks(spanning, [
        [sent(conversation, 17), sent(conversation, 18)],
        [sent(conversation, 5, 'hello', 4)],
      ]);
      expect(outcome).toMatchObject({ committed: true });
      expect(await count(conversation)).toBe(3);
      expect([await positionOf(3), await positionOf(4)]).toEqual(['19', '6']);
    });

    it('given a projection that does not say its chunks may span partitions, then it refuses and writes nothing', async () => {
      const conversation = randomUUID();
      await expect(
        applyChunks({ ...counting, applyChunk: (entries) => spanning.applyChunk?.(entries) ?? [] }, [
          [sent(conversation, 19)],
          [sent(conversation, 6, 'hello', 4)],
        ]),
      ).rejects.toThrow(/does not apply chunks of several partitions together/);
      expect(await count(conversation)).toBe(0);
      expect([await positionOf(3), await positionOf(4)]).toEqual(['19', '6']);
    });
  });
});
