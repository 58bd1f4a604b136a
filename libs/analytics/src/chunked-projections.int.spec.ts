// The chunk rules of both projections that have them (messages, analytics) against their one-event
// rules. It lives here because analytics may depend on read-models, not the other way round.
import { Pool, type PoolClient } from 'pg';
import type { ParleyEvent } from '@parley/events';
import { PROJECT_MIGRATIONS, dropDatabase, ensureDatabase, migrate } from '@parley/postgres';
import {
  applyEntries,
  createShadowTables,
  tableChecksum,
  tableDifferences,
  type PositionedEvent,
  type Projection,
} from '@parley/projections';
import { analyticsProjection } from '@parley/analytics';
import { messagesProjection } from '@parley/read-models';
import { testPool, databaseUrlFor, randomName, stackEnv } from '@parley/testing';

/** A small deterministic generator, so a failing log can be replayed from its seed. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

/**
 * A log of one partition that collides on purpose: few ids, repeated sends, reads past the end,
 * edits racing deletions and repeating their edit ids.
 */
function randomLog(seed: number, length: number): PositionedEvent[] {
  const r = random(seed);
  const users = ['u1', 'u2', 'u3'];
  const conversations = ['c1', 'c2'];
  const messages = Array.from({ length: 12 }, (_, i) => `m${i}`);
  const senders = new Map<string, string>();
  let at = 1_700_000_000_000;
  return Array.from({ length }, (_, i) => {
    at += Math.floor(r.next() * 3) * 500; // equal times happen too, and minutes pass
    const base = { eventId: `e${i}`, occurredAt: at };
    const messageId = r.pick(messages);
    const sender = senders.get(messageId) ?? r.pick(users);
    const roll = r.next();
    let event: ParleyEvent;
    if (roll < 0.3) {
      senders.set(messageId, sender);
      event = {
        type: 'MessageSent',
        ...base,
        messageId,
        conversationId: r.pick(conversations),
        senderId: sender,
        recipientId: null,
        text: `text ${i}`,
        replyToMessageId: null,
      };
    } else if (roll < 0.4) {
      event = {
        type: 'MessageDeleted',
        ...base,
        messageId,
        conversationId: r.pick(conversations),
        deletedBy: r.next() < 0.6 ? sender : r.pick(users),
        scope: r.next() < 0.5 ? 'EVERYONE' : 'ME',
      };
    } else if (roll < 0.5) {
      // Edits by the sender and others, of known and unknown messages, with retried edit ids.
      event = {
        type: 'MessageEdited',
        ...base,
        messageId,
        conversationId: r.pick(conversations),
        editedBy: r.next() < 0.8 ? sender : r.pick(users),
        editId: r.pick(['e1', 'e2', 'e3', 'e4']),
        text: `edit ${i}`,
      };
    } else if (roll < 0.6) {
      event = {
        type: 'MessageRead',
        ...base,
        conversationId: r.pick(conversations),
        readerId: r.pick(users),
        upToSeq: r.next() < 0.1 ? 1_000_000 : Math.floor(r.next() * (i + 5)),
      };
    } else if (roll < 0.65) {
      event = {
        type: 'PresenceChanged',
        ...base,
        userId: r.pick(users),
        status: r.next() < 0.5 ? 'ONLINE' : 'OFFLINE',
        lastSeen: at,
      };
    } else {
      const common = {
        ...base,
        messageId,
        conversationId: 'c1',
        senderId: sender,
        recipientId: r.pick(users),
      };
      const kind = r.next();
      event =
        kind < 0.3
          ? { type: 'DeliveryPending', ...common }
          : kind < 0.5
            ? { type: 'MessageFailed', ...common, reason: 'expired' }
            : { type: 'MessageDelivered', ...common, deviceId: 'd1', seq: 0 };
    }
    return { event, position: { topic: 'chat.messages', partition: 0, offset: String(i) } };
  });
}

/**
 * A log of one reader catching up in big chunks: many reads of one conversation whose up_to goes up
 * and down, deliveries interleaved with them, some recorded after a read that already reached their
 * seq (a later read must count them), and a few other readers, edits and deletions.
 */
function catchUpLog(seed: number, length: number): PositionedEvent[] {
  const r = random(seed * 13 + 5);
  const sentIds: { id: string; conversation: string; sender: string }[] = [];
  let at = 1_700_000_000_000;
  return Array.from({ length }, (_, i) => {
    at += Math.floor(r.next() * 3) * 500;
    const base = { eventId: `e${i}`, occurredAt: at };
    const roll = r.next();
    const reader = r.next() < 0.8 ? 'u1' : r.pick(['u2', 'u3']);
    // Mostly a recent message, sometimes an old one (delivered after reads that reached it).
    const sentIndex =
      r.next() < 0.7 ? sentIds.length - 1 - Math.floor(r.next() * 4) : Math.floor(r.next() * sentIds.length);
    const old = sentIds[Math.max(0, sentIndex)];
    let event: ParleyEvent;
    if (roll < 0.25 || !old) {
      const sent = { id: `m${i}`, conversation: r.next() < 0.9 ? 'c1' : 'c2', sender: r.pick(['u2', 'u3']) };
      sentIds.push(sent);
      event = {
        type: 'MessageSent',
        ...base,
        messageId: sent.id,
        conversationId: sent.conversation,
        senderId: sent.sender,
        recipientId: null,
        text: `text ${i}`,
        replyToMessageId: null,
      };
    } else if (roll < 0.55) {
      event = {
        type: 'MessageDelivered',
        ...base,
        messageId: r.next() < 0.05 ? `unknown${i}` : old.id,
        conversationId: old.conversation,
        senderId: old.sender,
        recipientId: reader,
        deviceId: 'd1',
        seq: 0,
      };
    } else if (roll < 0.9) {
      const upTo = r.next();
      event = {
        type: 'MessageRead',
        ...base,
        conversationId: r.next() < 0.9 ? 'c1' : 'c2',
        readerId: reader,
        // Past the end, near the head, or anywhere before it: up_to rises and falls.
        upToSeq:
          upTo < 0.1
            ? 1_000_000
            : upTo < 0.5
              ? Math.max(0, i - Math.floor(r.next() * 10))
              : Math.floor(r.next() * i),
      };
    } else if (roll < 0.95) {
      event = { type: 'PresenceChanged', ...base, userId: reader, status: 'ONLINE', lastSeen: at };
    } else if (roll < 0.975) {
      event = {
        type: 'MessageEdited',
        ...base,
        messageId: old.id,
        conversationId: old.conversation,
        editedBy: old.sender,
        editId: `e${i}`,
        text: `edit ${i}`,
      };
    } else {
      event = {
        type: 'MessageDeleted',
        ...base,
        messageId: old.id,
        conversationId: old.conversation,
        deletedBy: r.next() < 0.5 ? old.sender : reader,
        scope: r.next() < 0.5 ? 'EVERYONE' : 'ME',
      };
    }
    return { event, position: { topic: 'chat.messages', partition: 0, offset: String(i) } };
  });
}

/** Random chunk boundaries, as Kafka batches would fall. */
function chunks<T>(items: readonly T[], seed: number, maxSize = 40): T[][] {
  const r = random(seed * 7 + 3);
  const out: T[][] = [];
  for (let i = 0; i < items.length;) {
    const size = 1 + Math.floor(r.next() * maxSize);
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

/**
 * Logs of several partitions, as a projection that applies a fetch's partitions together sees them
 * (`chunksSpanPartitions`): each partition its own random log, its ids (messages, conversations,
 * events) its own, as a conversation's events share a partition; the users are shared. Offsets
 * repeat across partitions, so a rule comparing offsets of different conversations would show.
 */
function partitionLogs(seed: number, partitions: number, length: number): PositionedEvent[][] {
  return Array.from({ length: partitions }, (_, p) =>
    randomLog(seed * 31 + p, length).map(({ event, position }) => {
      const own = (id: string) => `p${p}-${id}`;
      const renamed = { ...event, eventId: own(event.eventId) } as Record<string, unknown>;
      for (const key of ['messageId', 'conversationId'])
        if (typeof renamed[key] === 'string') renamed[key] = own(renamed[key]);
      return { event: renamed as unknown as ParleyEvent, position: { ...position, partition: p } };
    }),
  );
}

/** Fetches over partition logs: each takes a random-sized chunk of every partition, in partition order. */
function fetchesOf(logs: readonly PositionedEvent[][], seed: number, maxSize = 30): PositionedEvent[][] {
  const perPartition = logs.map((log, p) => chunks(log, seed * 11 + p, maxSize));
  const rounds = Math.max(...perPartition.map((c) => c.length));
  return Array.from({ length: rounds }, (_, i) => perPartition.flatMap((c) => c[i] ?? []));
}

describe.each([
  ['messages', messagesProjection],
  ['analytics', analyticsProjection],
])('%s projection: a chunk at once ends where one event at a time ends', (_name, projection) => {
  const databaseUrl = databaseUrlFor(stackEnv().databaseUrl, randomName('t_chunks').toLowerCase());
  let pool: Pool;
  let client: PoolClient;
  const oneAtATime: Projection = {
    name: projection.name,
    topics: projection.topics,
    tables: projection.tables,
    apply: (event, position) => projection.apply(event, position),
  };
  const tables = [...projection.tables, ...(projection.sideTables ?? []), 'consumer_positions'];

  beforeAll(async () => {
    expect('applyChunk' in projection).toBe(true);
    await ensureDatabase(databaseUrl);
    await migrate({ databaseUrl, ...PROJECT_MIGRATIONS });
    pool = testPool({ connectionString: databaseUrl, max: 1 });
    client = await pool.connect();
  });

  afterAll(async () => {
    client.release();
    await pool.end();
    await dropDatabase(databaseUrl);
  });

  async function project(schema: string, rules: Projection, batches: readonly PositionedEvent[][]) {
    await createShadowTables(client, schema, tables);
    await client.query(`SET search_path = ${schema}`);
    try {
      for (const batch of batches) {
        await client.query('BEGIN');
        await applyEntries(client, rules, batch);
        await client.query('COMMIT');
      }
    } finally {
      await client.query('SET search_path = public');
    }
  }

  /**
   * Projects a log one event at a time and in chunks; returns the tables that differ (with their
   * differing rows) and the tables left empty (a comparison of empty tables would prove nothing).
   */
  async function compare(log: readonly PositionedEvent[], batches: PositionedEvent[][]) {
    await project(
      'one_by_one',
      oneAtATime,
      log.map((entry) => [entry]),
    );
    await project('chunked', projection, batches);
    const differences: string[] = [];
    const empty: string[] = [];
    for (const table of projection.tables) {
      const [expected, actual] = [
        await tableChecksum(client, 'one_by_one', table),
        await tableChecksum(client, 'chunked', table),
      ];
      if (expected.md5 !== actual.md5)
        differences.push(
          `${table}: ${JSON.stringify(await tableDifferences(client, 'one_by_one', 'chunked', table))}`,
        );
      if (actual.rows === 0) empty.push(table);
    }
    return { differences, empty };
  }

  /** Applies each fetch's events (of several partitions) with the chunk rules, in one transaction. */
  async function projectFetches(schema: string, fetches: readonly PositionedEvent[][]) {
    await createShadowTables(client, schema, tables);
    await client.query(`SET search_path = ${schema}`);
    try {
      for (const fetch of fetches) {
        await client.query('BEGIN');
        for (const statement of projection.applyChunk?.(fetch) ?? [])
          await client.query(statement.text, [...statement.values]);
        await client.query('COMMIT');
      }
    } finally {
      await client.query('SET search_path = public');
    }
  }

  it.each([1, 2, 3, 4, 5, 6])(
    'random logs of three partitions, each fetch of all of them at once (chunksSpanPartitions), log %i',
    async (seed) => {
      expect(projection.chunksSpanPartitions).toBe(true);
      const logs = partitionLogs(seed, 3, 200);
      await project(
        'one_by_one',
        oneAtATime,
        logs.flat().map((entry) => [entry]),
      );
      await projectFetches('gathered', fetchesOf(logs, seed));
      for (const table of projection.tables) {
        const [expected, actual] = [
          await tableChecksum(client, 'one_by_one', table),
          await tableChecksum(client, 'gathered', table),
        ];
        expect({
          table,
          rows: actual.rows > 0,
          differences:
            expected.md5 === actual.md5
              ? []
              : await tableDifferences(client, 'one_by_one', 'gathered', table),
        }).toEqual({ table, rows: true, differences: [] });
      }
    },
  );

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])('random log %i', async (seed) => {
    const log = randomLog(seed, 300);
    expect(await compare(log, chunks(log, seed))).toEqual({ differences: [], empty: [] });
  });

  // Many reads of one reader per chunk, with deliveries between and after them (the read rule).
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('catching up, log %i', async (seed) => {
    const log = catchUpLog(seed, 600);
    expect(await compare(log, chunks(log, seed, 300))).toEqual({ differences: [], empty: [] });
  });
});
