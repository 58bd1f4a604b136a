// The edit rules of the messages projection against a real PostgreSQL, event by event and as one
// chunk: latest wins by log order, a retried edit id counts once, only the sender's edits after the
// send count, a deletion for everybody erases the edits, and an unknown message is no failure.
import { Pool, type PoolClient } from 'pg';
import type { ParleyEvent } from '@parley/events';
import { PROJECT_MIGRATIONS, dropDatabase, ensureDatabase, migrate } from '@parley/postgres';
import { applyEntries, type PositionedEvent } from '@parley/projections';
import { messagesProjection } from '@parley/read-models';
import { databaseUrlFor, randomName, stackEnv } from '@parley/testing';

const T0 = Date.UTC(2026, 0, 31, 12);

describe('messages projection: edits', () => {
  const databaseUrl = databaseUrlFor(stackEnv().databaseUrl, randomName('t_edits').toLowerCase());
  let pool: Pool;
  let client: PoolClient;
  let partition = 0;

  beforeAll(async () => {
    await ensureDatabase(databaseUrl);
    await migrate({ databaseUrl, ...PROJECT_MIGRATIONS });
    pool = new Pool({ connectionString: databaseUrl, max: 1 });
    client = await pool.connect();
  });

  afterAll(async () => {
    client.release();
    await pool.end();
    await dropDatabase(databaseUrl);
  });

  /**
   * A log of one partition and conversation of its own (seq is the offset, unique per conversation),
   * in order, with occurredAt one second apart.
   */
  const log = (events: readonly Omit<ParleyEvent, 'eventId' | 'occurredAt'>[]): PositionedEvent[] => {
    partition += 1;
    const conversationId = `c${partition}`;
    return events.map((event, i) => ({
      event: { ...event, conversationId, eventId: `e${i}`, occurredAt: T0 + i * 1_000 } as ParleyEvent,
      position: { topic: 'chat.messages', partition, offset: String(i) },
    }));
  };

  const sent = (messageId: string, senderId = 'ada') => ({
    type: 'MessageSent' as const,
    messageId,
    conversationId: 'c1',
    senderId,
    recipientId: null,
    text: 'first',
    replyToMessageId: null,
  });
  const edited = (messageId: string, editId: string, text: string, editedBy = 'ada') => ({
    type: 'MessageEdited' as const,
    messageId,
    conversationId: 'c1',
    editedBy,
    editId,
    text,
  });
  const deleted = (messageId: string, scope: 'ME' | 'EVERYONE', deletedBy = 'ada') => ({
    type: 'MessageDeleted' as const,
    messageId,
    conversationId: 'c1',
    deletedBy,
    scope,
  });

  /** Applies the log one event at a time, or as one chunk. */
  const project = async (entries: PositionedEvent[], how: 'one by one' | 'as one chunk') => {
    for (const batch of how === 'as one chunk' ? [entries] : entries.map((e) => [e])) {
      await client.query('BEGIN');
      try {
        await applyEntries(client, messagesProjection, batch);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  };

  const messageRow = async (messageId: string) =>
    (
      await client.query<{ text: string; edited_at: Date | null; deleted_for_everybody: boolean }>(
        'SELECT text, edited_at, deleted_for_everybody FROM messages WHERE message_id = $1',
        [messageId],
      )
    ).rows[0];
  const editsOf = async (messageId: string) =>
    (
      await client.query<{ edit_id: string; position: string }>(
        'SELECT edit_id, position FROM message_edits WHERE message_id = $1 ORDER BY position',
        [messageId],
      )
    ).rows;

  describe.each(['one by one', 'as one chunk'] as const)('applied %s', (how) => {
    const id = (name: string) => `${name}-${how.replace(/ /g, '-')}`;

    it('given several edits, then the latest in log order gives the text and editedAt', async () => {
      const m = id('latest');
      await project(log([sent(m), edited(m, 'a', 'second'), edited(m, 'b', 'third')]), how);
      expect(await messageRow(m)).toEqual({
        text: 'third',
        edited_at: new Date(T0 + 2_000),
        deleted_for_everybody: false,
      });
      expect(await editsOf(m)).toEqual([
        { edit_id: 'a', position: '1' },
        { edit_id: 'b', position: '2' },
      ]);
    });

    it('given a retried edit id after a newer edit, then the retry changes nothing', async () => {
      const m = id('retry');
      await project(
        log([sent(m), edited(m, 'a', 'second'), edited(m, 'b', 'third'), edited(m, 'a', 'second')]),
        how,
      );
      expect(await messageRow(m)).toMatchObject({ text: 'third', edited_at: new Date(T0 + 2_000) });
      expect(await editsOf(m)).toEqual([
        { edit_id: 'a', position: '1' },
        { edit_id: 'b', position: '2' },
      ]);
    });

    it('given an edit by another member, then it is ignored', async () => {
      const m = id('other');
      await project(log([sent(m), edited(m, 'a', 'not yours', 'bob')]), how);
      expect(await messageRow(m)).toEqual({ text: 'first', edited_at: null, deleted_for_everybody: false });
      expect(await editsOf(m)).toEqual([]);
    });

    it('given an edit of a message the read model does not hold, then nothing happens and nothing fails', async () => {
      const m = id('unknown');
      // As in a rebuild from a topic whose start was truncated: the edit comes without its message.
      await project(log([edited(m, 'a', 'orphan'), sent(id('known'))]), how);
      expect(await messageRow(m)).toBeUndefined();
      expect(await editsOf(m)).toEqual([]);
      expect(await messageRow(id('known'))).toMatchObject({ text: 'first' });
    });

    it('given an edit before its message in the log (a forged record), then it is ignored', async () => {
      const m = id('early');
      await project(log([edited(m, 'a', 'too early'), sent(m)]), how);
      expect(await messageRow(m)).toMatchObject({ text: 'first', edited_at: null });
    });

    it('given an edit after a deletion for everybody, then it is ignored', async () => {
      const m = id('after-delete');
      await project(log([sent(m), deleted(m, 'EVERYONE'), edited(m, 'a', 'back from the dead')]), how);
      expect(await messageRow(m)).toEqual({ text: '', edited_at: null, deleted_for_everybody: true });
      expect(await editsOf(m)).toEqual([]);
    });

    it('given edits then a deletion for everybody, then the text, editedAt and the edits are erased', async () => {
      const m = id('then-delete');
      await project(log([sent(m), edited(m, 'a', 'second'), deleted(m, 'EVERYONE')]), how);
      expect(await messageRow(m)).toEqual({ text: '', edited_at: null, deleted_for_everybody: true });
      expect(await editsOf(m)).toEqual([]);
    });

    it('given a deletion for me, then later edits still apply (the message is hidden, not gone)', async () => {
      const m = id('hidden');
      await project(log([sent(m), deleted(m, 'ME', 'bob'), edited(m, 'a', 'second')]), how);
      expect(await messageRow(m)).toMatchObject({ text: 'second', edited_at: new Date(T0 + 2_000) });
    });
  });
});
