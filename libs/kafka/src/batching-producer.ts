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
  /**
   * A send not acknowledged this long after it was issued (queued or in flight) is rejected with
   * KafkaUnavailableError; the caller retries with the same ids (KAFKA_SEND_TIMEOUT_MS in the apps).
   */
  readonly sendTimeoutMs?: number;
  readonly instrument?: Instrument;
}

/** Used where no deadline is given (tests, tools); the services pass KAFKA_SEND_TIMEOUT_MS. */
export const DEFAULT_SEND_TIMEOUT_MS = 30_000;

/**
 * How kafkajs retries a produce request: often and briefly, so that a partition whose leader moved
 * (a broker died) is written to its new leader within a few hundred ms of the move, and a request
 * against a broker that is gone gives up after a few seconds so the queue behind it moves on.
 */
const PRODUCE_RETRY = { initialRetryTime: 100, maxRetryTime: 300, retries: 20, factor: 0.2, multiplier: 1.5 };

/**
 * kafkajs bails out at once on an error that retrying cannot cure (too large, not authorised), so a
 * retriable error or exhausted retries mean Kafka could not be reached or had no leader in time.
 */
function gaveUp(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return (
    (error as { retriable?: unknown } | null)?.retriable === true ||
    name === 'KafkaJSNumberOfRetriesExceeded' ||
    name === 'KafkaJSConnectionError' ||
    name === 'KafkaJSConnectionClosedError' ||
    name === 'KafkaJSRequestTimeoutError'
  );
}

interface Pending {
  readonly records: readonly OutgoingRecord[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  /** Answered already (acknowledged, failed, or past its deadline): later outcomes are ignored. */
  settled: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Kafka did not acknowledge a send in time (broker down, unreachable, or electing leaders). The
 * records may still reach Kafka later: the caller retries with the same ids and consumers drop
 * duplicates by id.
 */
export class KafkaUnavailableError extends Error {
  readonly retriable = true;
  readonly code = 'KAFKA_UNAVAILABLE';
  constructor(
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`Kafka did not acknowledge the send within ${timeoutMs} ms`, options);
    this.name = 'KafkaUnavailableError';
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
      retry: PRODUCE_RETRY,
    });
    this.admin = kafka.admin();
    this.maxBatchRecords = options.maxBatchRecords ?? 2_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
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
      const pending: Pending = { records: list, resolve, reject, settled: false };
      // The deadline runs from the call, not from the request: a send queued behind a request that
      // kafkajs is still retrying (broker down) is answered in time too.
      pending.timer = setTimeout(() => this.expire(pending), this.sendTimeoutMs);
      this.queue.push(pending);
      this.scheduleFlush();
    });
  }

  private expire(pending: Pending): void {
    if (pending.settled) return;
    pending.settled = true;
    // Still queued: it is never sent. In flight: it may still be written (see KafkaUnavailableError).
    this.queue = this.queue.filter((p) => p !== pending);
    this.instrument({ name: KAFKA_EVENTS.producerSendExpired, records: pending.records.length });
    pending.reject(new KafkaUnavailableError(this.sendTimeoutMs));
  }

  private static settle(pending: Pending, error?: unknown): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    if (error === undefined) pending.resolve();
    else pending.reject(error);
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

  /**
   * One request at a time, and the next one waits until kafkajs has finished with this one (even
   * when its senders were already answered at their deadline): that keeps per-partition order.
   */
  private async sendBatch(batch: readonly Pending[], count: number): Promise<void> {
    const started = performance.now();
    try {
      await this.deliver(batch.flatMap((p) => p.records));
      this.instrument({
        name: KAFKA_EVENTS.producerBatchSent,
        records: count,
        durationMs: performance.now() - started,
      });
      for (const pending of batch) BatchingProducer.settle(pending);
    } catch (error) {
      this.instrument({
        name: KAFKA_EVENTS.producerBatchFailed,
        records: count,
        durationMs: performance.now() - started,
        error,
      });
      // kafkajs gave up retrying (broker down, no leader): to the caller, Kafka is unavailable.
      const answer = gaveUp(error) ? new KafkaUnavailableError(this.sendTimeoutMs, { cause: error }) : error;
      for (const pending of batch) BatchingProducer.settle(pending, answer);
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
      if (pending.length > 0)
        this.instrument({ name: KAFKA_EVENTS.producerResent, records: pending.map((p) => p.record) });
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
