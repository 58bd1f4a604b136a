import { CompressionTypes, type Admin, type Kafka, type Message, type Producer } from 'kafkajs';
import { KAFKA_EVENTS, noInstrument, type Instrument } from './instrumentation';
import { partitionForKey } from './key-partitioner';
import type { OutgoingRecord } from './records';

interface Placed {
  readonly record: OutgoingRecord;
  readonly partition: number;
}

export interface BatchingProducerOptions {
  /** Most records in one produce request. */
  readonly maxBatchRecords?: number;
  /** A send not acknowledged by then is rejected (retriable); the caller retries with the same ids. */
  readonly sendTimeoutMs?: number;
  readonly instrument?: Instrument;
}

interface Pending {
  readonly records: readonly OutgoingRecord[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class SendTimeoutError extends Error {
  readonly retriable = true;
  constructor(timeoutMs: number) {
    super(`Kafka did not acknowledge the send within ${timeoutMs} ms`);
    this.name = 'SendTimeoutError';
  }
}

/**
 * An idempotent, acks=all producer that batches: sends issued while a request is in flight are
 * gathered into the next request. One request in flight at a time keeps per-partition order and
 * lets the batch size follow the load (a single send goes out at once; 10,000 concurrent sends go
 * out in a few requests). A send resolves only once Kafka has the record on every in-sync replica.
 */
export class BatchingProducer {
  private readonly producer: Producer;
  private readonly admin: Admin;
  /** Partition counts never change (the catalogue fixes them), so one lookup per topic is enough. */
  private readonly partitionCounts = new Map<string, Promise<number>>();
  private roundRobin = 0;
  private readonly maxBatchRecords: number;
  private readonly sendTimeoutMs: number;
  private readonly instrument: Instrument;
  private queue: Pending[] = [];
  private inFlight: Promise<void> | undefined;
  private flushScheduled = false;

  constructor(kafka: Kafka, options: BatchingProducerOptions = {}) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.admin = kafka.admin();
    this.maxBatchRecords = options.maxBatchRecords ?? 2_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
    this.instrument = options.instrument ?? noInstrument;
  }

  async connect(): Promise<void> {
    await Promise.all([this.producer.connect(), this.admin.connect()]);
  }

  /** Resolves once Kafka has acknowledged every record (acks=all). */
  send(records: OutgoingRecord | readonly OutgoingRecord[]): Promise<void> {
    const list = Array.isArray(records)
      ? (records as readonly OutgoingRecord[])
      : [records as OutgoingRecord];
    if (list.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records: list, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Waits for queued sends, then disconnects. */
  async disconnect(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      this.scheduleFlush();
      await (this.inFlight ?? new Promise((r) => setImmediate(r)));
    }
    await Promise.all([this.producer.disconnect(), this.admin.disconnect()]);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight) return;
    this.flushScheduled = true;
    // setImmediate lets every send issued in the current tick join the batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch: Pending[] = [];
    let count = 0;
    while (
      this.queue.length > 0 &&
      (count === 0 || count + (this.queue[0] as Pending).records.length <= this.maxBatchRecords)
    ) {
      const next = this.queue.shift() as Pending;
      batch.push(next);
      count += next.records.length;
    }
    this.inFlight = this.sendBatch(batch, count).finally(() => {
      this.inFlight = undefined;
      this.scheduleFlush();
    });
  }

  private async sendBatch(batch: readonly Pending[], count: number): Promise<void> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendTimeoutError(this.sendTimeoutMs)), this.sendTimeoutMs);
    });
    const delivery = this.deliver(batch.flatMap((p) => p.records));
    try {
      await Promise.race([delivery, timeout]);
      this.instrument({
        name: KAFKA_EVENTS.producerBatchSent,
        records: count,
        durationMs: performance.now() - started,
      });
      for (const pending of batch) pending.resolve();
    } catch (error) {
      this.instrument({
        name: KAFKA_EVENTS.producerBatchFailed,
        records: count,
        durationMs: performance.now() - started,
        error,
      });
      for (const pending of batch) pending.reject(error);
      // Keep order: the next batch waits until kafkajs has given up on this one.
      await delivery.catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends until every partition of the batch is acknowledged. kafkajs 2.2.4 can report success for a
   * batch while skipping the partitions whose leader died mid-request (it tracks responses per broker,
   * and partitions that moved to a broker that had already answered are not sent again; kafkajs
   * issue #1303). Each partition must appear in the response, or its records are sent again.
   */
  private async deliver(records: readonly OutgoingRecord[]): Promise<void> {
    let pending = await this.place(records);
    for (let round = 1; pending.length > 0; round++) {
      const byTopic = new Map<string, Message[]>();
      for (const { record, partition } of pending) {
        const messages = byTopic.get(record.topic) ?? [];
        messages.push({
          key: record.key,
          value: record.value,
          partition,
          ...(record.headers ? { headers: { ...record.headers } } : {}),
        });
        byTopic.set(record.topic, messages);
      }
      const acknowledged = await this.producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      const done = new Set(
        acknowledged.filter((r) => r.errorCode === 0).map((r) => `${r.topicName}:${r.partition}`),
      );
      pending = pending.filter(({ record, partition }) => !done.has(`${record.topic}:${partition}`));
      if (pending.length > 0 && round >= 100)
        throw new Error(`${pending.length} records were never acknowledged by Kafka`);
    }
  }

  private async place(records: readonly OutgoingRecord[]): Promise<Placed[]> {
    return Promise.all(
      records.map(async (record) => {
        const partitions = await this.partitionCount(record.topic);
        const partition =
          record.key === null ? this.roundRobin++ % partitions : partitionForKey(record.key, partitions);
        return { record, partition };
      }),
    );
  }

  private partitionCount(topic: string): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (!count) {
      count = this.admin.fetchTopicMetadata({ topics: [topic] }).then((m) => {
        const n = m.topics[0]?.partitions.length ?? 0;
        if (n === 0)
          throw new Error(`topic ${topic} does not exist: provision topics first (npm start does)`);
        return n;
      });
      this.partitionCounts.set(topic, count);
      count.catch(() => this.partitionCounts.delete(topic));
    }
    return count;
  }
}
