// One client in a child process of kafka-clients-bench.ts, so that its CPU is measured apart from
// the other client's and from the orchestrator's. Talks to its parent over IPC: it says `ready`
// once connected (a consumer: once in its group), measures from `go`, answers `result`, and
// closes on `stop`.
import { performance } from 'node:perf_hooks';
import { compatibilityPartitioner } from '@platformatic/kafka';
import {
  OneInFlightBatcher,
  createBenchConsumer,
  createBenchProducer,
  type BenchRecord,
  type ClientName,
} from './kafka-clients-adapters';
import { dueCount, scheduledOffsetMs, summarize, type LatencySummary } from './open-loop';

export type WorkerTask =
  | {
      /** Open loop: `rate` records/s for `seconds`; latency from each record's scheduled moment. */
      readonly role: 'produce';
      readonly rate: number;
      readonly seconds: number;
    }
  | {
      /** Closed loop: `total` records as fast as one request in flight allows (seeding). */
      readonly role: 'seed';
      readonly total: number;
    }
  | {
      /** Joins before `ready`; from `go`, reads `expected` records, latency from their stamp. */
      readonly role: 'consume-live';
      readonly groupId: string;
      readonly expected: number;
      readonly timeoutMs: number;
    }
  | {
      /** Connects before `ready`; from `go`, joins and reads `expected` existing records. */
      readonly role: 'consume-batch';
      readonly groupId: string;
      readonly expected: number;
      readonly timeoutMs: number;
    };

export type WorkerConfig = WorkerTask & {
  readonly client: ClientName;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly partitions: number;
  readonly keys: number;
  readonly recordBytes: number;
};

export interface WorkerResult {
  /** Records sent (producers) or read (consumers). */
  readonly records: number;
  readonly failed: number;
  /** Producers: acknowledged within the wait; consumers: same as records. */
  readonly acknowledged: number;
  /** ms from `go` to the last acknowledgement or record. */
  readonly elapsedMs: number;
  /** ms from the first record read to the last (consumers). */
  readonly readingMs: number;
  /** Ack latency (producers) or produce→consume latency (consumers), ms. */
  readonly latency: LatencySummary;
  /** CPU seconds (user + system) this process used from `go` to the last record. */
  readonly cpuSeconds: number;
}

export type ToWorker = { readonly type: 'go' } | { readonly type: 'stop' };
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: WorkerResult }
  | { readonly type: 'error'; readonly message: string };

/** A producer waits this long after its last send for the acknowledgements. */
const ACK_WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
/** Wall-clock ms with sub-ms precision, comparable between processes on this machine. */
const wallNow = () => performance.timeOrigin + performance.now();
const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

function send(message: FromWorker): void {
  process.send?.(message);
}

function nextMessage(): Promise<ToWorker> {
  return new Promise((resolve) => process.once('message', (m: ToWorker) => resolve(m)));
}

/** 1,000 conversation keys and their partitions (Kafka's murmur2, as libs/kafka assigns them). */
function keyTable(keys: number, partitions: number): { key: Buffer; partition: number }[] {
  return Array.from({ length: keys }, (_, i) => {
    const key = Buffer.from(`conversation-${String(i).padStart(6, '0')}`);
    return { key, partition: compatibilityPartitioner({ topic: '' }, key) % partitions };
  });
}

/** A record of `bytes` bytes whose first 8 hold the wall-clock moment it was due (float64). */
function makeRecord(config: WorkerConfig, index: number, dueAt: number, keys: ReturnType<typeof keyTable>) {
  const value = Buffer.alloc(config.recordBytes, 0x61);
  value.writeDoubleLE(dueAt, 0);
  const { key, partition } = keys[index % keys.length] as { key: Buffer; partition: number };
  const record: BenchRecord = { topic: config.topic, partition, key, value };
  return record;
}

async function runProducer(config: WorkerConfig & { role: 'produce' | 'seed' }): Promise<void> {
  const producer = createBenchProducer(config.client, config.brokers);
  await producer.connect();
  const batcher = new OneInFlightBatcher(producer);
  const keys = keyTable(config.keys, config.partitions);
  // Warm-up: the producer id, metadata and connections are set up before the clock starts.
  await batcher.send(makeRecord(config, 0, wallNow(), keys));
  send({ type: 'ready' });
  if ((await nextMessage()).type !== 'go') return producer.close();

  const latencies: number[] = [];
  let acknowledged = 0;
  let failed = 0;
  let lastAck = performance.now();
  const cpuBefore = cpuSeconds();
  const start = performance.now();
  const sendOne = (index: number, scheduledAt: number) => {
    const record = makeRecord(config, index, performance.timeOrigin + scheduledAt, keys);
    batcher.send(record).then(
      () => {
        lastAck = performance.now();
        acknowledged++;
        latencies.push(lastAck - scheduledAt);
      },
      () => failed++,
    );
  };
  let total: number;
  if (config.role === 'produce') {
    total = Math.round(config.rate * config.seconds);
    let next = 0;
    while (next < total) {
      const due = dueCount(performance.now() - start, config.rate, total);
      for (; next < due; next++) sendOne(next, start + scheduledOffsetMs(next, config.rate));
      if (next < total) await sleep(start + scheduledOffsetMs(next, config.rate) - performance.now());
    }
  } else {
    // Keeps about four full batches queued: enough to always fill the next request.
    total = config.total;
    for (let next = 0; next < total; next++) {
      while (next - acknowledged - failed >= 8_000) await sleep(1);
      sendOne(next, performance.now());
    }
  }
  const deadline = performance.now() + ACK_WAIT_MS;
  while (acknowledged + failed < total && performance.now() < deadline) await sleep(5);
  const cpuAfter = cpuSeconds();
  send({
    type: 'result',
    result: {
      records: total,
      failed,
      acknowledged,
      elapsedMs: lastAck - start,
      readingMs: 0,
      latency: summarize(latencies),
      cpuSeconds: cpuAfter - cpuBefore,
    },
  });
  await nextMessage();
  await producer.close();
}

async function runConsumer(config: WorkerConfig & { role: 'consume-live' | 'consume-batch' }): Promise<void> {
  const consumer = createBenchConsumer(config.client, config.brokers, config.groupId);
  await consumer.connect();
  const latencies: number[] = [];
  let received = 0;
  let counting = false;
  let first = 0;
  let last = 0;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const onRecords = (records: readonly { value: Buffer }[]) => {
    if (!counting) return;
    const now = performance.now();
    if (received === 0) first = now;
    last = now;
    for (const { value } of records) {
      received++;
      if (config.role === 'consume-live')
        latencies.push(performance.timeOrigin + now - value.readDoubleLE(0));
    }
    if (received >= config.expected) finished();
  };
  if (config.role === 'consume-live') {
    await consumer.start(config.topic, onRecords);
    send({ type: 'ready' });
    if ((await nextMessage()).type !== 'go') return consumer.close();
  } else {
    send({ type: 'ready' });
    if ((await nextMessage()).type !== 'go') return consumer.close();
  }
  const cpuBefore = cpuSeconds();
  const start = performance.now();
  counting = true;
  if (config.role === 'consume-batch') await consumer.start(config.topic, onRecords);
  await Promise.race([done, sleep(config.timeoutMs)]);
  const cpuAfter = cpuSeconds();
  send({
    type: 'result',
    result: {
      records: received,
      failed: 0,
      acknowledged: received,
      elapsedMs: last - start,
      readingMs: last - first,
      latency: summarize(latencies),
      cpuSeconds: cpuAfter - cpuBefore,
    },
  });
  await nextMessage();
  await consumer.close();
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  if (config.role === 'produce' || config.role === 'seed') await runProducer(config);
  else await runConsumer(config);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  },
);
