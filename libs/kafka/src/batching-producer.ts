import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import { KAFKA_EVENTS, noInstrument, type Instrument } from './instrumentation';
import type { OutgoingRecord } from './records';

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
  private readonly maxBatchRecords: number;
  private readonly sendTimeoutMs: number;
  private readonly instrument: Instrument;
  private queue: Pending[] = [];
  private inFlight: Promise<void> | undefined;
  private flushScheduled = false;

  constructor(kafka: Kafka, options: BatchingProducerOptions = {}) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.maxBatchRecords = options.maxBatchRecords ?? 2_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
    this.instrument = options.instrument ?? noInstrument;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** Resolves once Kafka has acknowledged every record (acks=all). */
  send(records: OutgoingRecord | readonly OutgoingRecord[]): Promise<void> {
    const list = Array.isArray(records) ? (records as readonly OutgoingRecord[]) : [records as OutgoingRecord];
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
    await this.producer.disconnect();
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
    while (this.queue.length > 0 && (count === 0 || count + (this.queue[0] as Pending).records.length <= this.maxBatchRecords)) {
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
    const byTopic = new Map<string, { key: string | null; value: Buffer; headers?: Record<string, string> }[]>();
    for (const pending of batch) {
      for (const record of pending.records) {
        const messages = byTopic.get(record.topic) ?? [];
        messages.push({ key: record.key, value: record.value, ...(record.headers ? { headers: { ...record.headers } } : {}) });
        byTopic.set(record.topic, messages);
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendTimeoutError(this.sendTimeoutMs)), this.sendTimeoutMs);
    });
    const request = this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    try {
      await Promise.race([request, timeout]);
      this.instrument({ name: KAFKA_EVENTS.producerBatchSent, records: count, durationMs: performance.now() - started });
      for (const pending of batch) pending.resolve();
    } catch (error) {
      this.instrument({ name: KAFKA_EVENTS.producerBatchFailed, records: count, durationMs: performance.now() - started, error });
      for (const pending of batch) pending.reject(error);
      // Keep order: the next batch waits until kafkajs has given up on this one.
      await request.catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }
}
