// Side-by-side benchmark of kafkajs and @platformatic/kafka on Parley's hot path (issue 11):
// produce (open loop, idempotent, acks=all, one request in flight) and consume (a consumer group
// with manual commits, live and a batch read of existing records), each client in its own child
// process so that its CPU is its own. The broker's CPU comes from /proc.
//
//   npm run bench:kafka-clients -- [--brokers 127.0.0.1:9192] [--runs 2] [--out results.md]
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { createKafka } from '@parley/kafka';
import { CLIENTS, CLIENT_LABELS, type ClientName } from './kafka-clients-adapters';
import { findBrokerPid, machineSample, processCpuSeconds } from './kafka-clients-proc';
import type { FromWorker, WorkerConfig, WorkerResult, WorkerTask } from './kafka-clients-worker';
import { table } from './latency';

interface Options {
  readonly brokers: string[];
  readonly runs: number;
  readonly seconds: number;
  readonly produceRates: number[];
  readonly consumeRates: number[];
  readonly batchRecords: number;
  readonly maxRecords: number;
  readonly only: Measurement[];
  readonly partitions: number;
  readonly keys: number;
  readonly recordBytes: number;
  readonly clients: ClientName[];
  readonly out?: string;
}

const MEASUREMENTS = ['produce', 'max', 'live', 'batch'] as const;
type Measurement = (typeof MEASUREMENTS)[number];

const WORKER = join(__dirname, 'kafka-clients-worker.ts');
/** Broker CPU with our workers connected and quiet, measured this long before each run. */
const IDLE_SAMPLE_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const numbers = (value: string) => value.split(',').map(Number);
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

function parseOptions(argv: readonly string[]): Options {
  const program = new Command('kafka-clients-bench')
    .option('--brokers <list>', 'bootstrap brokers', process.env.KAFKA_BROKERS ?? '127.0.0.1:9192')
    .option('--runs <n>', 'times each measurement is run', '2')
    .option('--seconds <n>', 'length of each open-loop run', '10')
    .option('--produce-rates <list>', 'records/s of the produce runs', '50,200,2000,5000')
    .option('--consume-rates <list>', 'records/s of the live consume runs', '50,200,2000')
    .option('--batch-records <n>', 'records of the batch read', '200000')
    .option('--max-records <n>', 'records of the closed-loop produce runs', '100000')
    .option('--only <list>', `measurements to take (${MEASUREMENTS.join(',')})`, MEASUREMENTS.join(','))
    .option('--partitions <n>', 'partitions of each topic (chat.messages has 12)', '12')
    .option('--keys <n>', 'conversation keys', '1000')
    .option('--record-bytes <n>', 'bytes of each record value', '300')
    .option('--clients <list>', 'clients to compare', CLIENTS.join(','))
    .option('--out <file>', 'also write the markdown report here')
    .parse([...argv], { from: 'user' });
  const o = program.opts<Record<string, string>>();
  return {
    brokers: (o.brokers as string).split(','),
    runs: Number(o.runs),
    seconds: Number(o.seconds),
    produceRates: numbers(o.produceRates as string),
    consumeRates: numbers(o.consumeRates as string),
    batchRecords: Number(o.batchRecords),
    maxRecords: Number(o.maxRecords),
    only: (o.only as string).split(',') as Measurement[],
    partitions: Number(o.partitions),
    keys: Number(o.keys),
    recordBytes: Number(o.recordBytes),
    clients: (o.clients as string).split(',') as ClientName[],
    ...(o.out ? { out: o.out } : {}),
  };
}

/** A client in its own process, started and driven over IPC. */
class Worker {
  private readonly child: ChildProcess;
  private readonly messages: FromWorker[] = [];
  private waiting: ((m: FromWorker) => void) | undefined;
  private readonly exited: Promise<void>;

  constructor(config: WorkerConfig) {
    // The parent's execArgv carries tsx's loader, so the child runs TypeScript too.
    this.child = fork(WORKER, [JSON.stringify(config)], { execArgv: process.execArgv, stdio: 'inherit' });
    this.child.on('message', (m: FromWorker) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(m);
      } else this.messages.push(m);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.exited
      .then(() => this.waiting?.({ type: 'error', message: 'worker exited' }))
      .catch(() => undefined);
  }

  private next(): Promise<FromWorker> {
    const queued = this.messages.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private async expect<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    const m = await this.next();
    if (m.type === 'error') throw new Error(`worker failed: ${m.message}`);
    if (m.type !== type) throw new Error(`worker said ${m.type}, expected ${type}`);
    return m as Extract<FromWorker, { type: T }>;
  }

  ready(): Promise<unknown> {
    return this.expect('ready');
  }

  go(): void {
    this.child.send({ type: 'go' });
  }

  async result(): Promise<WorkerResult> {
    return (await this.expect('result')).result;
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.send({ type: 'stop' });
    const timeout = sleep(15_000).then(() => this.child.kill());
    await Promise.race([this.exited, timeout]);
  }
}

/** CPU of the broker and busy share of the machine between two moments. */
class Meter {
  private readonly brokerAtStart: number;
  private readonly machineAtStart: { busy: number; total: number };
  private readonly startedAt = performance.now();

  constructor(private readonly brokerPid: number) {
    this.brokerAtStart = processCpuSeconds(brokerPid);
    this.machineAtStart = machineSample();
  }

  read(): { brokerCpuSeconds: number; seconds: number; machineBusy: number } {
    const machine = machineSample();
    const total = machine.total - this.machineAtStart.total;
    return {
      brokerCpuSeconds: processCpuSeconds(this.brokerPid) - this.brokerAtStart,
      seconds: (performance.now() - this.startedAt) / 1000,
      machineBusy: total > 0 ? (machine.busy - this.machineAtStart.busy) / total : NaN,
    };
  }
}

/** Broker CPU seconds per second with nothing of ours going on (other jobs share the broker). */
async function brokerIdleRate(brokerPid: number): Promise<number> {
  const meter = new Meter(brokerPid);
  await sleep(IDLE_SAMPLE_MS);
  const { brokerCpuSeconds, seconds } = meter.read();
  return brokerCpuSeconds / seconds;
}

/** µs of CPU per record (the callers pass the broker's net of its idle rate). */
function perRecordUs(cpuSeconds: number, records: number): number {
  return records > 0 ? (cpuSeconds / records) * 1e6 : NaN;
}

interface Context {
  readonly options: Options;
  readonly brokerPid: number;
  readonly runId: string;
  readonly topics: string[];
  readonly groups: string[];
  createTopic(name: string): Promise<void>;
}

function config(ctx: Context, client: ClientName, topic: string, task: WorkerTask): WorkerConfig {
  const { brokers, partitions, keys, recordBytes } = ctx.options;
  return { ...task, client, brokers, topic, partitions, keys, recordBytes };
}

const pct = (share: number) => `${fixed(share * 100, 0)}%`;

async function measureProduce(ctx: Context, client: ClientName, rate: number, run: number) {
  const topic = `kbench.${ctx.runId}.produce.${client}.${rate}.${run}`;
  await ctx.createTopic(topic);
  const worker = new Worker(
    config(ctx, client, topic, { role: 'produce', rate, seconds: ctx.options.seconds }),
  );
  try {
    await worker.ready();
    const idle = await brokerIdleRate(ctx.brokerPid);
    const meter = new Meter(ctx.brokerPid);
    worker.go();
    const result = await worker.result();
    const { brokerCpuSeconds, seconds, machineBusy } = meter.read();
    return [
      CLIENT_LABELS[client],
      rate,
      run,
      fixed(result.acknowledged / (result.elapsedMs / 1000), 0),
      fixed(result.latency.p50),
      fixed(result.latency.p99),
      fixed(perRecordUs(result.cpuSeconds, result.acknowledged), 0),
      fixed(perRecordUs(brokerCpuSeconds - idle * seconds, result.acknowledged), 0),
      pct(machineBusy),
      result.failed + (result.records - result.acknowledged - result.failed),
    ];
  } finally {
    await worker.stop();
  }
}

async function measureConsumeLive(ctx: Context, client: ClientName, rate: number, run: number) {
  const topic = `kbench.${ctx.runId}.live.${client}.${rate}.${run}`;
  const groupId = `kbench.${ctx.runId}.live.${client}.${rate}.${run}`;
  ctx.groups.push(groupId);
  await ctx.createTopic(topic);
  const expected = Math.round(rate * ctx.options.seconds);
  const consumer = new Worker(
    config(ctx, client, topic, {
      role: 'consume-live',
      groupId,
      expected,
      timeoutMs: ctx.options.seconds * 1000 + 30_000,
    }),
  );
  // The same producer for both: only the consumer differs between the rows.
  const producer = new Worker(
    config(ctx, 'kafkajs', topic, { role: 'produce', rate, seconds: ctx.options.seconds }),
  );
  try {
    await consumer.ready();
    await producer.ready();
    const idle = await brokerIdleRate(ctx.brokerPid);
    const meter = new Meter(ctx.brokerPid);
    consumer.go();
    producer.go();
    const [read] = await Promise.all([consumer.result(), producer.result()]);
    const { brokerCpuSeconds, seconds, machineBusy } = meter.read();
    return [
      CLIENT_LABELS[client],
      rate,
      run,
      `${read.records}/${expected}`,
      fixed(read.latency.p50),
      fixed(read.latency.p99),
      fixed(perRecordUs(read.cpuSeconds, read.records), 0),
      fixed(perRecordUs(brokerCpuSeconds - idle * seconds, read.records), 0),
      pct(machineBusy),
    ];
  } finally {
    await Promise.all([consumer.stop(), producer.stop()]);
  }
}

/** As fast as one request in flight allows: the producer's throughput ceiling. */
async function measureProduceMax(ctx: Context, client: ClientName, run: number) {
  const topic = `kbench.${ctx.runId}.max.${client}.${run}`;
  await ctx.createTopic(topic);
  const total = ctx.options.maxRecords;
  const worker = new Worker(config(ctx, client, topic, { role: 'seed', total }));
  try {
    await worker.ready();
    const idle = await brokerIdleRate(ctx.brokerPid);
    const meter = new Meter(ctx.brokerPid);
    worker.go();
    const result = await worker.result();
    const { brokerCpuSeconds, seconds, machineBusy } = meter.read();
    return [
      CLIENT_LABELS[client],
      run,
      `${result.acknowledged}/${total}`,
      fixed(result.acknowledged / (result.elapsedMs / 1000), 0),
      fixed(perRecordUs(result.cpuSeconds, result.acknowledged), 1),
      fixed(perRecordUs(brokerCpuSeconds - idle * seconds, result.acknowledged), 1),
      pct(machineBusy),
    ];
  } finally {
    await worker.stop();
  }
}

async function seedBatchTopic(ctx: Context): Promise<{ topic: string; records: number }> {
  const topic = `kbench.${ctx.runId}.batch`;
  await ctx.createTopic(topic);
  const total = ctx.options.batchRecords;
  const seeder = new Worker(config(ctx, 'kafkajs', topic, { role: 'seed', total }));
  try {
    await seeder.ready();
    seeder.go();
    const result = await seeder.result();
    if (result.acknowledged !== total)
      throw new Error(`seeding: ${result.acknowledged} of ${total} acknowledged`);
    // The warm-up record is in the topic too.
    return { topic, records: total + 1 };
  } finally {
    await seeder.stop();
  }
}

async function measureBatchRead(
  ctx: Context,
  client: ClientName,
  run: number,
  seeded: { topic: string; records: number },
) {
  const groupId = `kbench.${ctx.runId}.batch.${client}.${run}`;
  ctx.groups.push(groupId);
  const worker = new Worker(
    config(ctx, client, seeded.topic, {
      role: 'consume-batch',
      groupId,
      expected: seeded.records,
      timeoutMs: 120_000,
    }),
  );
  try {
    await worker.ready();
    const idle = await brokerIdleRate(ctx.brokerPid);
    const meter = new Meter(ctx.brokerPid);
    worker.go();
    const read = await worker.result();
    const { brokerCpuSeconds, seconds, machineBusy } = meter.read();
    return [
      CLIENT_LABELS[client],
      run,
      `${read.records}/${seeded.records}`,
      fixed(read.records / (read.elapsedMs / 1000), 0),
      fixed(read.elapsedMs / 1000, 2),
      fixed(read.readingMs / 1000, 2),
      fixed(perRecordUs(read.cpuSeconds, read.records), 1),
      fixed(perRecordUs(brokerCpuSeconds - idle * seconds, read.records), 1),
      pct(machineBusy),
    ];
  } finally {
    await worker.stop();
  }
}

/** Alternates which client goes first, so that neither always runs right after the other's load. */
function order(clients: readonly ClientName[], run: number): ClientName[] {
  return run % 2 === 1 ? [...clients] : [...clients].reverse();
}

function versions(): string {
  // Read from node_modules: @platformatic/kafka's exports do not include its package.json.
  const version = (name: string) =>
    (
      JSON.parse(readFileSync(join(__dirname, '../../node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  return `node ${process.version}, kafkajs ${version('kafkajs')}, @platformatic/kafka ${version('@platformatic/kafka')}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const port = Number(options.brokers[0]?.split(':').pop());
  const brokerPid = findBrokerPid(port);
  if (brokerPid === undefined)
    throw new Error(`no kafka.Kafka process listens on port ${port} on this machine`);
  const kafka = createKafka({ brokers: options.brokers, clientId: 'kbench-admin' });
  const admin = kafka.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  const replication = Math.min(3, cluster.brokers.length);
  const ctx: Context = {
    options,
    brokerPid,
    runId: randomUUID().slice(0, 8),
    topics: [],
    groups: [],
    async createTopic(name) {
      ctx.topics.push(name);
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: name, numPartitions: options.partitions, replicationFactor: replication }],
      });
    },
  };
  const report: string[] = [];
  const say = (text: string) => {
    console.log(text);
    report.push(text);
  };
  const cpu = cpus();
  say(
    `Machine: ${cpu.length} cores, ${cpu[0]?.model ?? 'unknown'}; ${versions()}; broker pid ${brokerPid} ` +
      `(${cluster.brokers.length} broker(s), replication ${replication}) at ${options.brokers.join(',')}.`,
  );
  say(
    `Load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}.`,
  );
  say(
    `Records of ${options.recordBytes} bytes keyed by ${options.keys} keys, topics of ${options.partitions} partitions; ` +
      `${options.runs} runs of each measurement. Broker CPU is net of its idle rate just before each run ` +
      '(the broker is shared); "busy" is the whole machine during the run.',
  );

  const want = (m: Measurement) => options.only.includes(m);
  /** Each run, at each rate, each client in that run's order: one row each, logged as it comes. */
  const everyRun = async <Rate>(
    label: string,
    rates: readonly Rate[],
    measure: (client: ClientName, rate: Rate, run: number) => Promise<(string | number)[]>,
  ): Promise<(string | number)[][]> => {
    const rows: (string | number)[][] = [];
    for (let run = 1; run <= options.runs; run++)
      for (const rate of rates)
        for (const client of order(options.clients, run)) {
          const row = await measure(client, rate, run);
          console.error(`${label} ${row.join(' | ')}`);
          rows.push(row);
        }
    return rows;
  };
  try {
    if (want('produce')) {
      const rows = await everyRun('produce', options.produceRates, (client, rate, run) =>
        measureProduce(ctx, client, rate, run),
      );
      say('\n### Produce (open loop, idempotent, acks=all, one request in flight)\n');
      say(
        table(
          [
            'client',
            'rate/s',
            'run',
            'acked/s',
            'ack p50 ms',
            'ack p99 ms',
            'client µs/rec',
            'broker µs/rec',
            'busy',
            'lost',
          ],
          sortRows(rows, [1, 0, 2]),
        ),
      );
    }

    if (want('max')) {
      const rows = await everyRun('max', [undefined], (client, _rate, run) =>
        measureProduceMax(ctx, client, run),
      );
      say(
        `\n### Produce, closed loop (${options.maxRecords} records as fast as one request in flight allows)\n`,
      );
      say(
        table(
          ['client', 'run', 'acked', 'records/s', 'client µs/rec', 'broker µs/rec', 'busy'],
          sortRows(rows, [0, 1]),
        ),
      );
    }

    if (want('live')) {
      const rows = await everyRun('consume', options.consumeRates, (client, rate, run) =>
        measureConsumeLive(ctx, client, rate, run),
      );
      say('\n### Consume live (consumer group, manual commits each second; kafkajs produces)\n');
      say(
        table(
          [
            'client',
            'rate/s',
            'run',
            'read',
            'e2e p50 ms',
            'e2e p99 ms',
            'consumer µs/rec',
            'broker µs/rec',
            'busy',
          ],
          sortRows(rows, [1, 0, 2]),
        ),
      );
    }

    if (want('batch')) {
      const seeded = await seedBatchTopic(ctx);
      const rows = await everyRun('batch', [undefined], (client, _rate, run) =>
        measureBatchRead(ctx, client, run, seeded),
      );
      say(
        `\n### Batch read of ${seeded.records} existing records (new group, from the beginning; ` +
          'records/s over join and read; "read s" from the first record to the last)\n',
      );
      say(
        table(
          [
            'client',
            'run',
            'read',
            'records/s',
            'join+read s',
            'read s',
            'consumer µs/rec',
            'broker µs/rec',
            'busy',
          ],
          sortRows(rows, [0, 1]),
        ),
      );
    }
    say(
      `\nLoad average at end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}.`,
    );
  } finally {
    await admin.deleteGroups(ctx.groups).catch(() => undefined);
    await admin.deleteTopics({ topics: ctx.topics }).catch(() => undefined);
    await admin.disconnect();
    if (options.out) writeFileSync(options.out, `${report.join('\n')}\n`);
  }
}

/** Rows sorted by the given columns in turn (rate, client, run: the clients side by side). */
function sortRows(rows: (string | number)[][], columns: readonly number[]): (string | number)[][] {
  return [...rows].sort((a, b) => {
    for (const i of columns) {
      const x = a[i] as string | number;
      const y = b[i] as string | number;
      if (x !== y)
        return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    }
    return 0;
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
