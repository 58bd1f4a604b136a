// The processes of `npm run bench:floor` (floor-bench.ts): the fewest hops a message can take
// through Kafka, PostgreSQL and Redis while keeping the design's guarantees, written bare with the
// same libraries (kafkajs, pg, ioredis, ws) and none of Parley's own code. Each role runs in a
// process of its own (forked by floor-bench.ts), so that its CPU is its own. What a role leaves out
// that Parley must do (authentication, schemas and Avro, presence and routing, rate limits,
// retries, dead letters, receipts other than the SEND's) only makes this floor lower.
import { createServer } from 'node:http';
import Redis from 'ioredis';
import type { EachBatchPayload } from 'kafkajs';
import { Pool } from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';
import { createKafka } from '@parley/kafka';

export type FloorRole = 'gateway' | 'delivery' | 'projector' | 'analytics';

export interface FloorRoleConfig {
  readonly role: FloorRole;
  readonly brokers: string[];
  readonly topic: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** The Redis channel the delivery worker publishes to and the gateway listens on. */
  readonly channel: string;
  /** The gateway's WebSocket port. */
  readonly port: number;
}

/** A sent message as its event on the topic (JSON: Avro would cost a few µs more, not a hop). */
interface SentEvent {
  readonly type: 'sent';
  readonly messageId: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly senderId: string;
  readonly recipientId: string;
  readonly text: string;
  readonly sentAt: number;
}
interface DeliveredEvent {
  readonly type: 'delivered';
  readonly messageId: string;
  readonly conversationId: string;
  readonly userId: string;
  readonly at: number;
}
type FloorEvent = SentEvent | DeliveredEvent;

/** Up to this long the gateway gathers ACKs into one mark and one produce (as Parley's does). */
const ACK_LINGER_MS = 100;
/** How long the consumers that can lag (history, analytics) wait after a batch to gather the next. */
const LAG_WAIT_MS: Partial<Record<FloorRole, number>> = { projector: 100, analytics: 1_000 };

/**
 * Gathers what arrives while a batch is in flight into the next batch (no waiting, one batch at a
 * time): the gateway's claims and its produces, as Parley's ProduceQueue and claim batcher do.
 */
class InFlightBatcher<Item, Answer> {
  private pending: { item: Item; done: (error: Error | undefined, answer?: Answer) => void }[] = [];
  private flushing = false;

  constructor(private readonly apply: (items: Item[]) => Promise<Answer[]>) {}

  add(item: Item): Promise<Answer> {
    return new Promise((resolve, reject) => {
      this.pending.push({
        item,
        done: (error, answer) => (error ? reject(error) : resolve(answer as Answer)),
      });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const answers = await this.apply(batch.map(({ item }) => item));
        batch.forEach(({ done }, i) => done(undefined, answers[i]));
      } catch (error) {
        for (const { done } of batch) done(error instanceof Error ? error : new Error(String(error)));
      }
    }
    this.flushing = false;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS floor_conversations (id text PRIMARY KEY, next_seq bigint NOT NULL);
CREATE TABLE IF NOT EXISTS floor_claims (message_id text PRIMARY KEY, conversation_id text NOT NULL, seq bigint NOT NULL);
CREATE TABLE IF NOT EXISTS floor_inbox_counters (user_id text PRIMARY KEY, next_position bigint NOT NULL);
CREATE TABLE IF NOT EXISTS floor_inbox (
  user_id text NOT NULL, position bigint NOT NULL, message_id text NOT NULL, body text NOT NULL,
  delivered_at timestamptz, PRIMARY KEY (user_id, position), UNIQUE (user_id, message_id));
CREATE TABLE IF NOT EXISTS floor_messages (
  message_id text PRIMARY KEY, conversation_id text NOT NULL, seq bigint NOT NULL, sender_id text NOT NULL,
  body text NOT NULL, delivered_at timestamptz);
CREATE TABLE IF NOT EXISTS floor_analytics (minute timestamptz NOT NULL, kind text NOT NULL, n bigint NOT NULL,
  PRIMARY KEY (minute, kind));
CREATE TABLE IF NOT EXISTS floor_positions (grp text NOT NULL, part int NOT NULL, next_offset bigint NOT NULL,
  PRIMARY KEY (grp, part));
`;

export async function createFloorSchema(databaseUrl: string): Promise<void> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await pool.query(SCHEMA);
  } finally {
    await pool.end();
  }
}

/**
 * One statement for a batch of SENDs: each new message id claimed with its conversation's next seq
 * (seqs in the order of the batch, per conversation, by window functions), a repeated id answered
 * with the seq it already has. The existing claims are read from the statement's snapshot, so the
 * rows it inserts do not show there. One batch at a time (InFlightBatcher), so no two race.
 */
const CLAIM = `
WITH t AS (
  SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(message_id, conversation_id, ord)),
fresh AS (
  SELECT DISTINCT ON (message_id) message_id, conversation_id, ord FROM t
  WHERE NOT EXISTS (SELECT 1 FROM floor_claims c WHERE c.message_id = t.message_id)
  ORDER BY message_id, ord),
numbered AS (
  SELECT message_id, conversation_id,
         row_number() OVER (PARTITION BY conversation_id ORDER BY ord) AS k,
         count(*) OVER (PARTITION BY conversation_id) AS n
  FROM fresh),
c AS (
  INSERT INTO floor_conversations (id, next_seq)
  SELECT conversation_id, max(n) FROM numbered GROUP BY conversation_id
  ON CONFLICT (id) DO UPDATE SET next_seq = floor_conversations.next_seq + excluded.next_seq
  RETURNING id, next_seq),
ins AS (
  INSERT INTO floor_claims (message_id, conversation_id, seq)
  SELECT n.message_id, n.conversation_id, c.next_seq - n.n + n.k FROM numbered n JOIN c ON c.id = n.conversation_id
  RETURNING message_id, seq)
SELECT message_id, seq FROM ins
UNION ALL SELECT message_id, seq FROM floor_claims WHERE message_id = ANY($1::text[])`;

const MARK_DELIVERED = `
UPDATE floor_inbox i SET delivered_at = now()
FROM unnest($1::text[], $2::bigint[]) AS a(user_id, position)
WHERE i.user_id = a.user_id AND i.position = a.position AND i.delivered_at IS NULL`;

async function gateway(config: FloorRoleConfig): Promise<void> {
  const pool = new Pool({ connectionString: config.databaseUrl, max: 10 });
  const producer = createKafka({ brokers: config.brokers, clientId: 'floor-gateway' }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const produce = new InFlightBatcher<{ key: string; value: string }, unknown>(async (messages) => {
    await producer.send({ topic: config.topic, acks: -1, messages });
    return [];
  });
  const claims = new InFlightBatcher<{ messageId: string; conversationId: string }, number>(async (batch) => {
    const { rows } = await pool.query<{ message_id: string; seq: string }>({
      name: 'claim',
      text: CLAIM,
      values: [batch.map((c) => c.messageId), batch.map((c) => c.conversationId)],
    });
    const seqs = new Map(rows.map((row) => [row.message_id, Number(row.seq)]));
    return batch.map(({ messageId }) => {
      const seq = seqs.get(messageId);
      if (seq === undefined) throw new Error(`the claim of ${messageId} got no seq`);
      return seq;
    });
  });
  const sockets = new Map<string, WebSocket>();

  const subscriber = new Redis(config.redisUrl);
  await subscriber.subscribe(config.channel);
  subscriber.on('message', (_channel: string, payload: string) => {
    const userId = payload.slice(0, payload.indexOf(' '));
    sockets.get(userId)?.send(`M ${payload.slice(userId.length + 1)}`);
  });

  // ACKs gathered for ACK_LINGER_MS: one mark and one produce for all of them.
  let acks: { userId: string; position: number; messageId: string; conversationId: string }[] = [];
  const flushAcks = async () => {
    const batch = acks;
    acks = [];
    await pool.query({
      name: 'mark',
      text: MARK_DELIVERED,
      values: [batch.map((a) => a.userId), batch.map((a) => a.position)],
    });
    const at = Date.now();
    await Promise.all(
      batch.map((a) => {
        const event: DeliveredEvent = { type: 'delivered', ...a, at };
        return produce.add({ key: a.conversationId, value: JSON.stringify(event) });
      }),
    );
  };

  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    let userId = '';
    socket.on('message', (data: Buffer) => {
      const line = data.toString();
      const [verb, ...fields] = line.split(' ');
      if (verb === 'HELLO') {
        userId = fields[0] ?? '';
        sockets.set(userId, socket);
        socket.send('WELCOME');
      } else if (verb === 'S') {
        // SENDs are pipelined, as Parley's are: claimed in the order they arrive (in one statement
        // with whatever else arrived meanwhile), and produced in that order, since a batch's answers
        // resolve in order and each continuation adds to the produce queue at once. So a session's
        // messages keep their order in seq and in the log.
        const [messageId = '', conversationId = '', recipientId = ''] = fields;
        const text = fields.slice(3).join(' ');
        void claims
          .add({ messageId, conversationId })
          .then(async (seq) => {
            const event: SentEvent = {
              type: 'sent',
              messageId,
              conversationId,
              seq,
              senderId: userId,
              recipientId,
              text,
              sentAt: Date.now(),
            };
            await produce.add({ key: conversationId, value: JSON.stringify(event) });
            socket.send(`R ${messageId} ${seq}`);
          })
          .catch((error: unknown) => socket.send(`E ${messageId} ${String(error)}`));
      } else if (verb === 'A') {
        const [position = '0', messageId = '', conversationId = ''] = fields;
        if (acks.length === 0) setTimeout(() => void flushAcks().catch(console.error), ACK_LINGER_MS);
        acks.push({ userId, position: Number(position), messageId, conversationId });
      }
    });
    socket.on('close', () => {
      if (sockets.get(userId) === socket) sockets.delete(userId);
    });
  });
  await new Promise<void>((resolve) => server.listen(config.port, '127.0.0.1', resolve));
}

/** One statement: inbox positions from per-user counters, the items, and the consumer's position. */
const APPEND_INBOX = `
WITH items AS (
  SELECT t.user_id, t.message_id, t.body,
         row_number() OVER (PARTITION BY t.user_id ORDER BY t.ord) AS k,
         count(*) OVER (PARTITION BY t.user_id) AS n
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(user_id, message_id, body, ord)),
c AS (
  INSERT INTO floor_inbox_counters (user_id, next_position)
  SELECT user_id, max(n) FROM items GROUP BY user_id
  ON CONFLICT (user_id) DO UPDATE SET next_position = floor_inbox_counters.next_position + excluded.next_position
  RETURNING user_id, next_position),
ins AS (
  INSERT INTO floor_inbox (user_id, position, message_id, body)
  SELECT i.user_id, c.next_position - i.n + i.k, i.message_id, i.body FROM items i JOIN c USING (user_id)
  ON CONFLICT DO NOTHING RETURNING user_id, position, body),
pos AS (
  INSERT INTO floor_positions (grp, part, next_offset) VALUES ($4, $5, $6)
  ON CONFLICT (grp, part) DO UPDATE SET next_offset = GREATEST(floor_positions.next_offset, excluded.next_offset))
SELECT user_id, position, body FROM ins`;

/** One statement for history: new messages, delivered marks (also of messages in this batch), position. */
const PROJECT_MESSAGES = `
WITH s AS (
  INSERT INTO floor_messages (message_id, conversation_id, seq, sender_id, body, delivered_at)
  SELECT t.id, t.conversation_id, t.seq, t.sender_id, t.body, CASE WHEN t.id = ANY($6::text[]) THEN now() END
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]) AS t(id, conversation_id, seq, sender_id, body)
  ON CONFLICT DO NOTHING),
d AS (
  UPDATE floor_messages m SET delivered_at = now() FROM unnest($6::text[]) AS x(id)
  WHERE m.message_id = x.id AND m.delivered_at IS NULL),
pos AS (
  INSERT INTO floor_positions (grp, part, next_offset) VALUES ($7, $8, $9)
  ON CONFLICT (grp, part) DO UPDATE SET next_offset = GREATEST(floor_positions.next_offset, excluded.next_offset))
SELECT 1`;

const COUNT_EVENTS = `
WITH k AS (
  INSERT INTO floor_analytics (minute, kind, n)
  SELECT date_trunc('minute', now()), kind, count(*) FROM unnest($1::text[]) AS t(kind) GROUP BY kind
  ON CONFLICT (minute, kind) DO UPDATE SET n = floor_analytics.n + excluded.n),
pos AS (
  INSERT INTO floor_positions (grp, part, next_offset) VALUES ($2, $3, $4)
  ON CONFLICT (grp, part) DO UPDATE SET next_offset = GREATEST(floor_positions.next_offset, excluded.next_offset))
SELECT 1`;

async function consumerRole(config: FloorRoleConfig): Promise<void> {
  // As Parley's delivery worker: its partitions applied concurrently, so that one partition's commit
  // does not queue behind another's (here each recipient's conversation lives on one partition, so
  // two statements never lock the same counters); the lagging consumers go one partition at a time.
  const concurrently = config.role === 'delivery' ? 12 : 1;
  const pool = new Pool({ connectionString: config.databaseUrl, max: Math.max(2, concurrently) });
  const publisher = config.role === 'delivery' ? new Redis(config.redisUrl) : undefined;
  const group = `${config.topic}.${config.role}`;
  const lagWait = LAG_WAIT_MS[config.role];
  // The recipient's path is answered as soon as a record is there. The others gather by waiting
  // after each batch before they fetch again (as Parley's lingering fetches do): a fetch the broker
  // holds for minBytes is looked at again on every append, about 30 broker wake-ups per message.
  const consumer = createKafka({ brokers: config.brokers, clientId: `floor-${config.role}` }).consumer({
    groupId: group,
    maxWaitTimeInMs: 1_000,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: config.topic, fromBeginning: true });

  const apply = async ({ batch }: EachBatchPayload) => {
    const events = batch.messages.map((m) => JSON.parse(m.value?.toString() ?? '{}') as FloorEvent);
    const position = [group, batch.partition, Number(batch.lastOffset()) + 1];
    if (config.role === 'delivery') {
      const sent = events.filter((e): e is SentEvent => e.type === 'sent');
      if (sent.length === 0) return; // nothing for the inbox; the position may lag (read again, changes nothing)
      const { rows } = await pool.query<{ user_id: string; position: string; body: string }>({
        name: 'append',
        text: APPEND_INBOX,
        values: [
          sent.map((e) => e.recipientId),
          sent.map((e) => e.messageId),
          sent.map((e) => JSON.stringify(e)),
          ...position,
        ],
      });
      const pipeline = publisher!.pipeline();
      for (const row of rows) pipeline.publish(config.channel, `${row.user_id} ${row.position} ${row.body}`);
      await pipeline.exec();
    } else if (config.role === 'projector') {
      const sent = events.filter((e): e is SentEvent => e.type === 'sent');
      const delivered = events.filter((e): e is DeliveredEvent => e.type === 'delivered');
      await pool.query({
        name: 'project',
        text: PROJECT_MESSAGES,
        values: [
          sent.map((e) => e.messageId),
          sent.map((e) => e.conversationId),
          sent.map((e) => e.seq),
          sent.map((e) => e.senderId),
          sent.map((e) => e.text),
          delivered.map((e) => e.messageId),
          ...position,
        ],
      });
    } else {
      await pool.query({
        name: 'count',
        text: COUNT_EVENTS,
        values: [events.map((e) => e.type), ...position],
      });
    }
  };
  // Positions live in PostgreSQL with the rows; the group's offsets are only where to resume from,
  // committed every 5 s (Parley's every second). Not kafkajs's autoCommit: it commits after
  // every batch, whatever its interval, and the next fetch waits for that round trip and the
  // coordinator's write (the skeleton's delivery worker took 73 ms between fetches at 200 msgs/s).
  const resumeFrom = new Map<number, string>();
  const committer = setInterval(() => {
    const offsets = [...resumeFrom].map(([partition, offset]) => ({
      topic: config.topic,
      partition,
      offset,
    }));
    resumeFrom.clear();
    if (offsets.length > 0) consumer.commitOffsets(offsets).catch(() => undefined);
  }, 5_000);
  committer.unref();
  const gather = async (payload: EachBatchPayload): Promise<void> => {
    await apply(payload);
    resumeFrom.set(payload.batch.partition, String(Number(payload.batch.lastOffset()) + 1));
    if (lagWait) await new Promise((resolve) => setTimeout(resolve, lagWait));
  };
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: concurrently,
    eachBatch: gather,
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as FloorRoleConfig;
  if (config.role === 'gateway') await gateway(config);
  else await consumerRole(config);
  process.send?.({ ready: config.role });
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
