// `npm run bench:floor`: where the floor is (issue 11). The same open loop as bench:e2e (50 pairs,
// SEND→MESSAGE latency from the scheduled send, CPU per delivered message by process above idle)
// through a skeleton of the fewest hops the design allows (floor-roles.ts): a gateway that claims
// message ids and their conversations' seqs (one statement for whatever arrived while the last was
// in flight, as Parley gathers them) and produces with acks=all; a delivery
// worker that appends to the inbox in one statement and publishes to Redis; the gateway that sends
// the MESSAGE and gathers ACKs for 100 ms into one mark and one produce; a history projector and an
// analytics consumer that let the broker gather for 100 ms and 1 s. Prints two tables; asserts nothing.
//
//   npm run kafka -- start && npm run bench:floor -- [--rates 50,200,2000] [--pairs 50] [--seconds 20] [--warm-up 60]
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import WebSocket from 'ws';
import { createKafka } from '@parley/kafka';
import { dropDatabase, ensureDatabase } from '@parley/postgres';
import { freePort, type Log } from '../stack/stack-setup';
import { drive, sleep, waitUntil } from './drive';
import { createFloorSchema, type FloorRole, type FloorRoleConfig } from './floor-roles';
import { table } from './latency';
import {
  cpuPerMessageUs,
  cpuUsedByKind,
  perMessageAboveIdle,
  scheduledOffsetMs,
  summarize,
  wakeUpsByKind,
} from './open-loop';
import { processSample, stackProcesses, type ProcessScope, type StackProcess } from './process-cpu';

const ROLES: readonly FloorRole[] = ['gateway', 'delivery', 'projector', 'analytics'];
const ROLE_FILE = join(__dirname, 'floor-roles.ts');
const DELIVERY_DEADLINE_MS = 15_000;
const LOAD_GENERATOR = 'load generator';

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');

interface FloorOptions {
  readonly brokers: string[];
  readonly rates: number[];
  readonly pairs: number;
  readonly seconds: number;
  readonly warmUpSeconds: number;
}

function floorOptions(argv: readonly string[]): FloorOptions {
  const numbers = (list: string) => list.split(',').map(Number);
  const opts = new Command('bench:floor')
    .option('--brokers <list>', 'bootstrap brokers', process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .option('--rates <list>', 'open-loop rates, msgs/s', '50,200,2000')
    .option('--pairs <n>', 'sender/recipient pairs', '50')
    .option('--seconds <n>', 'seconds per rate (and of idle)', '20')
    .option('--warm-up <n>', 'seconds of traffic first, for the JITs', '60')
    .parse(['node', 'bench:floor', ...argv])
    .opts<{ brokers: string; rates: string; pairs: string; seconds: string; warmUp: string }>();
  return {
    brokers: opts.brokers.split(','),
    rates: numbers(opts.rates),
    pairs: Number(opts.pairs),
    seconds: Number(opts.seconds),
    warmUpSeconds: Number(opts.warmUp),
  };
}

/** A lean WebSocket client of the skeleton's line protocol. */
class FloorClient {
  onMessage: (messageId: string, arrivedAt: number) => void = () => undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const line = data.toString();
      if (!line.startsWith('M ')) return;
      const arrivedAt = performance.now();
      const space = line.indexOf(' ', 2);
      const position = line.slice(2, space);
      const event = JSON.parse(line.slice(space + 1)) as { messageId: string; conversationId: string };
      socket.send(`A ${position} ${event.messageId} ${event.conversationId}`);
      this.onMessage(event.messageId, arrivedAt);
    });
  }

  static async connect(url: string, userId: string): Promise<FloorClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(`HELLO ${userId}`);
    await new Promise((resolve) => socket.once('message', resolve));
    return new FloorClient(socket);
  }

  send(messageId: string, conversationId: string, recipientId: string, text: string): void {
    this.socket.send(`S ${messageId} ${conversationId} ${recipientId} ${text}`);
  }

  close(): void {
    this.socket.close();
  }
}

function startRole(config: FloorRoleConfig): Promise<ChildProcess> {
  // The parent's execArgv carries tsx's loader, so the child runs TypeScript too.
  const child = fork(ROLE_FILE, [JSON.stringify(config)], { execArgv: process.execArgv, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the skeleton's ${config.role} exited (${code})`)));
  });
}

export async function runFloorBench(argv: readonly string[], log: Log): Promise<void> {
  const opts = floorOptions(argv);
  const prefix = `floor-${Date.now().toString(36)}`;
  const topic = `${prefix}.messages`;
  const databaseUrl =
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/parley_bench_floor';
  const scope: ProcessScope = { topicPrefix: prefix, database: new URL(databaseUrl).pathname.slice(1) };
  const admin = createKafka({ brokers: opts.brokers, clientId: 'floor-bench' }).admin();
  const children: ChildProcess[] = [];
  const clients: FloorClient[] = [];
  log(`bench:floor: brokers ${opts.brokers.join(',')}, database ${scope.database}, topic ${topic}`);
  try {
    await dropDatabase(databaseUrl);
    await ensureDatabase(databaseUrl);
    await createFloorSchema(databaseUrl);
    await admin.connect();
    // As chat.messages: 12 partitions, keyed by conversation.
    await admin.createTopics({
      topics: [{ topic, numPartitions: 12, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const port = await freePort();
    const base = {
      brokers: opts.brokers,
      topic,
      databaseUrl,
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      channel: `${prefix}:gateway`,
      port,
    };
    const pids = new Map<number, FloorRole>();
    for (const role of ROLES) {
      log(`  starting the skeleton's ${role}...`);
      const child = await startRole({ ...base, role });
      children.push(child);
      pids.set(child.pid!, role);
    }
    const sample = (): StackProcess[] => {
      const usage = process.cpuUsage();
      const roles = [...pids].map(([pid, kind]) => processSample(pid, kind));
      return [
        ...stackProcesses(scope),
        ...roles,
        { pid: process.pid, kind: LOAD_GENERATOR, cpuSeconds: (usage.user + usage.system) / 1e6 },
      ];
    };

    const url = `ws://127.0.0.1:${port}/`;
    const senderIds = Array.from({ length: opts.pairs }, (_, i) => `s${i}`);
    const recipientIds = Array.from({ length: opts.pairs }, (_, i) => `r${i}`);
    const senders = await Promise.all(senderIds.map((id) => FloorClient.connect(url, id)));
    const recipients = await Promise.all(recipientIds.map((id) => FloorClient.connect(url, id)));
    clients.push(...senders, ...recipients);
    let scheduled = new Map<string, number>();
    let latencies: number[] = [];
    for (const recipient of recipients)
      recipient.onMessage = (messageId, arrivedAt) => {
        const at = scheduled.get(messageId);
        if (at === undefined) return;
        scheduled.delete(messageId);
        latencies.push(arrivedAt - at);
      };

    const run = async (rate: number, seconds: number) => {
      scheduled = new Map();
      latencies = [];
      const total = Math.max(1, Math.round(rate * seconds));
      const before = sample();
      const { start } = await drive(rate, total, (j, at) => {
        const messageId = randomUUID();
        const pair = j % opts.pairs;
        scheduled.set(messageId, at);
        senders[pair]!.send(messageId, `c${pair}`, recipientIds[pair]!, `m${j}`);
      });
      await waitUntil(
        () => scheduled.size === 0,
        start + scheduledOffsetMs(total - 1, rate) + DELIVERY_DEADLINE_MS,
      );
      // The lingering ACK marks and the consumers that may lag finish what they hold.
      await sleep(1_500);
      const after = sample();
      return {
        total,
        window: (performance.now() - start) / 1000,
        used: cpuUsedByKind(before, after),
        woken: wakeUpsByKind(before, after),
      };
    };

    const warmUpRate = Math.min(500, Math.max(...opts.rates));
    log(`  warming up (the JITs): ${warmUpRate} msgs/s for ${opts.warmUpSeconds} s...`);
    await run(warmUpRate, opts.warmUpSeconds);
    log(`  idle for ${opts.seconds} s...`);
    const idleBefore = sample();
    await sleep(opts.seconds * 1000);
    const idleAfter = sample();
    const perSecond = (totals: Map<string, number>) =>
      new Map([...totals].map(([kind, total]) => [kind, total / opts.seconds]));
    const idle = perSecond(cpuUsedByKind(idleBefore, idleAfter));
    const idleWakeUps = perSecond(wakeUpsByKind(idleBefore, idleAfter));

    const latencyRows: (string | number)[][] = [];
    const cpuRows: { rate: number; perMessage: Map<string, number>; wakeUps: Map<string, number> }[] = [];
    for (const rate of opts.rates) {
      log(`  ${rate} msgs/s for ${opts.seconds} s...`);
      const outcome = await run(rate, opts.seconds);
      const summary = summarize(latencies);
      latencyRows.push([
        rate,
        outcome.total,
        summary.count,
        ms(summary.p50),
        ms(summary.p99),
        ms(summary.p999),
      ]);
      cpuRows.push({
        rate,
        perMessage: cpuPerMessageUs(outcome.used, idle, outcome.window, summary.count),
        wakeUps: perMessageAboveIdle(outcome.woken, idleWakeUps, outcome.window, summary.count),
      });
      log(
        `    delivered ${summary.count} of ${outcome.total}; p50 ${ms(summary.p50)} ms, p99 ${ms(summary.p99)} ms`,
      );
    }

    console.log(
      `\nbench:floor, ${new Date().toISOString()}; machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ` +
        `${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${opts.pairs} pairs, ${opts.seconds} s per rate, ` +
        `${opts.warmUpSeconds} s warm-up\n`,
    );
    console.log(table(['msgs/s', 'sent', 'delivered', 'p50 ms', 'p99 ms', 'p99.9 ms'], latencyRows));
    const kinds = [...ROLES, 'kafka broker', 'postgresql', 'redis'];
    console.log('\nCPU per delivered message above idle, µs\n');
    console.log(
      table(
        ['msgs/s', ...kinds, 'all but the load generator', LOAD_GENERATOR],
        cpuRows.map(({ rate, perMessage }) => {
          const all = kinds.reduce((sum, kind) => sum + (perMessage.get(kind) ?? 0), 0);
          return [
            rate,
            ...kinds.map((kind) => Math.round(perMessage.get(kind) ?? 0)),
            Math.round(all),
            Math.round(perMessage.get(LOAD_GENERATOR) ?? 0),
          ];
        }),
      ),
    );
    console.log('\nWake-ups per delivered message above idle (voluntary context switches of all threads)\n');
    console.log(
      table(
        ['msgs/s', ...kinds, 'all but the load generator', 'µs of CPU per wake-up'],
        cpuRows.map(({ rate, perMessage, wakeUps }) => {
          const woken = kinds.reduce((sum, kind) => sum + (wakeUps.get(kind) ?? 0), 0);
          const cpu = kinds.reduce((sum, kind) => sum + (perMessage.get(kind) ?? 0), 0);
          return [
            rate,
            ...kinds.map((kind) => (wakeUps.get(kind) ?? 0).toFixed(1)),
            woken.toFixed(1),
            Math.round(cpu / woken),
          ];
        }),
      ),
    );
    console.log(
      '\nidle, % of one core: ' +
        [...idle].map(([kind, perSecond]) => `${kind} ${(perSecond * 100).toFixed(1)}`).join(', '),
    );
  } finally {
    for (const client of clients) client.close();
    for (const child of children) child.kill('SIGKILL');
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(databaseUrl).catch(() => undefined);
  }
}
