// The two Kafka clients behind one small interface, configured as Parley needs them: an idempotent,
// acks=all producer with one request in flight (per-partition order), and a consumer group with
// manual offset commits every second, from the beginning of the log (libs/kafka's ConsumerRunner).
import { Consumer as PltConsumer, Producer as PltProducer, type MessagesStream } from '@platformatic/kafka';
import { CompressionTypes, type Consumer, type Producer } from 'kafkajs';
import { createKafka } from '@parley/kafka';

export const CLIENTS = ['kafkajs', 'platformatic'] as const;
export type ClientName = (typeof CLIENTS)[number];

/** Display names for the tables. */
export const CLIENT_LABELS: Record<ClientName, string> = {
  kafkajs: 'kafkajs 2.2.4',
  platformatic: '@platformatic/kafka 1.x',
};

export interface BenchRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface BenchProducer {
  connect(): Promise<void>;
  /** Resolves once every record is acknowledged by all in-sync replicas. */
  sendBatch(records: readonly BenchRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface ReceivedRecord {
  readonly partition: number;
  readonly value: Buffer;
}

export interface BenchConsumer {
  /** Connects (no group yet). */
  connect(): Promise<void>;
  /** Subscribes and joins the group; resolves once this member has its partitions. */
  start(topic: string, onRecords: (records: readonly ReceivedRecord[]) => void): Promise<void>;
  /** Commits what was read and leaves the group. */
  close(): Promise<void>;
}

/** As Parley commits: every second, the next offset of each partition that moved (ConsumerRunner). */
const COMMIT_INTERVAL_MS = 1_000;

/** libs/kafka's producer retry settings (batching-producer.ts). */
const PRODUCE_RETRY = { initialRetryTime: 100, maxRetryTime: 300, retries: 20, factor: 0.2, multiplier: 1.5 };

function kafkajsProducer(brokers: readonly string[]): BenchProducer {
  const producer: Producer = createKafka({ brokers, clientId: 'kbench-producer' }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: PRODUCE_RETRY,
  });
  return {
    connect: () => producer.connect(),
    async sendBatch(records) {
      const byTopic = new Map<string, { key: Buffer; value: Buffer; partition: number }[]>();
      for (const r of records) {
        const list = byTopic.get(r.topic) ?? [];
        list.push({ key: r.key, value: r.value, partition: r.partition });
        byTopic.set(r.topic, list);
      }
      await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    },
    close: () => producer.disconnect(),
  };
}

function platformaticProducer(brokers: readonly string[]): BenchProducer {
  // idempotent forces acks=all and one request in flight per connection; the sequence numbers are
  // taken when a request is built, so sends must not overlap (the batcher issues one at a time).
  const producer = new PltProducer({
    clientId: 'kbench-producer',
    bootstrapBrokers: [...brokers],
    idempotent: true,
    autocreateTopics: false,
  });
  return {
    async connect() {
      await producer.initIdempotentProducer({});
    },
    async sendBatch(records) {
      await producer.send({
        messages: records.map((r) => ({
          topic: r.topic,
          partition: r.partition,
          key: r.key,
          value: r.value,
        })),
      });
    },
    close: () => producer.close(),
  };
}

export function createBenchProducer(client: ClientName, brokers: readonly string[]): BenchProducer {
  return client === 'kafkajs' ? kafkajsProducer(brokers) : platformaticProducer(brokers);
}

/** The offsets read and not yet committed, per partition: the next offset to read. */
class PendingCommits {
  private readonly next = new Map<number, bigint>();
  set(partition: number, nextOffset: bigint): void {
    this.next.set(partition, nextOffset);
  }
  take(): { partition: number; offset: bigint }[] {
    const taken = [...this.next].map(([partition, offset]) => ({ partition, offset }));
    this.next.clear();
    return taken;
  }
}

function kafkajsConsumer(brokers: readonly string[], groupId: string): BenchConsumer {
  // ConsumerRunner's settings: no auto-commit, eachBatch, resolveOffset and heartbeat per batch.
  const consumer: Consumer = createKafka({ brokers, clientId: 'kbench-consumer' }).consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  const pending = new PendingCommits();
  let topicName = '';
  let timer: NodeJS.Timeout | undefined;
  const commit = async () => {
    const offsets = pending.take();
    if (offsets.length === 0) return;
    await consumer.commitOffsets(
      offsets.map((o) => ({ topic: topicName, partition: o.partition, offset: String(o.offset) })),
    );
  };
  return {
    connect: () => consumer.connect(),
    async start(topic, onRecords) {
      topicName = topic;
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async (payload) => {
          const { batch } = payload;
          if (batch.messages.length === 0) return;
          onRecords(
            batch.messages.map((m) => ({ partition: batch.partition, value: m.value ?? Buffer.alloc(0) })),
          );
          const last = batch.messages[batch.messages.length - 1]?.offset as string;
          payload.resolveOffset(last);
          pending.set(batch.partition, BigInt(last) + 1n);
          await payload.heartbeat();
        },
      });
      await joined;
      timer = setInterval(() => void commit().catch(() => undefined), COMMIT_INTERVAL_MS);
    },
    async close() {
      clearInterval(timer);
      await commit().catch(() => undefined);
      await consumer.disconnect();
    },
  };
}

function platformaticConsumer(brokers: readonly string[], groupId: string): BenchConsumer {
  const consumer = new PltConsumer({
    clientId: 'kbench-consumer',
    bootstrapBrokers: [...brokers],
    groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    autocommit: false,
  });
  const pending = new PendingCommits();
  let topicName = '';
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const commit = async () => {
    const offsets = pending.take();
    if (offsets.length === 0) return;
    // leaderEpoch -1: unknown (the records do not carry it); the broker then skips fencing by epoch.
    await consumer.commit({
      offsets: offsets.map((o) => ({
        topic: topicName,
        partition: o.partition,
        offset: o.offset,
        leaderEpoch: -1,
      })),
    });
  };
  return {
    async connect() {
      await consumer.metadata({ topics: [] });
    },
    async start(topic, onRecords) {
      topicName = topic;
      // The committed offsets, or the beginning of the log for a new group (fromBeginning).
      stream = await consumer.consume({
        topics: [topic],
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: false,
      });
      stream.on('data', (message) => {
        onRecords([{ partition: message.partition, value: message.value }]);
        pending.set(message.partition, message.offset + 1n);
      });
      stream.on('error', (error: Error) => console.error(`platformatic consumer: ${error.message}`));
      timer = setInterval(() => void commit().catch(() => undefined), COMMIT_INTERVAL_MS);
    },
    async close() {
      clearInterval(timer);
      await commit().catch(() => undefined);
      await stream?.close();
      await consumer.close();
    },
  };
}

export function createBenchConsumer(
  client: ClientName,
  brokers: readonly string[],
  groupId: string,
): BenchConsumer {
  return client === 'kafkajs' ? kafkajsConsumer(brokers, groupId) : platformaticConsumer(brokers, groupId);
}

/**
 * Parley's batching (libs/kafka BatchingProducer, without its deadlines): sends issued while a
 * request is in flight join the next one, one request at a time, at most `maxBatch` records each.
 */
export class OneInFlightBatcher {
  private queue: { record: BenchRecord; done: (error?: Error) => void }[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly producer: BenchProducer,
    private readonly maxBatch = 2_000,
  ) {}

  send(record: BenchRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.queue.length === 0) return;
    this.inFlight = true;
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      await this.producer.sendBatch(batch.map((b) => b.record));
      for (const b of batch) b.done();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const b of batch) b.done(failure);
    } finally {
      this.inFlight = false;
      this.schedule();
    }
  }
}
