// `npm run bench:e2e`: the end-to-end story on one stack of its own (all five services): open-loop
// SEND→MESSAGE latency at several rates over 50 and 1,000 sender/recipient pairs, one connection
// at 2,000 msgs/s, 10,000 messages to an offline user, the gateway memory of 10,000 idle sessions,
// and CPU per delivered message by process. Prints one table and a CPU table; asserts nothing.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { directConversationId } from '@parley/domain';
import type { Log } from '../stack/stack-setup';
import { startBenchWorld, type BenchWorld } from './bench-world';
import { e2eOptions, type E2eOptions, type Scenario } from './e2e-options';
import { table } from './latency';
import {
  cpuPerMessageUs,
  cpuUsedByKind,
  outOfOrder,
  perMessageAboveIdle,
  scheduledOffsetMs,
  summarize,
  wakeUpsByKind,
} from './open-loop';
import { drive, sleep, waitUntil } from './drive';
import { stackProcesses, type StackProcess } from './process-cpu';
import { StandardStompClient } from './standard-stomp-client';

/** A message not at its recipient this long after its scheduled send counts as not delivered. */
const DELIVERY_DEADLINE_MS = 15_000;
const LOAD_GENERATOR = 'load generator';
const STANDARD = '@stomp/stompjs';

type Row = (string | number)[];
interface Results {
  readonly rows: Row[];
  /** µs of CPU per delivered message by process, one entry per open-loop run. */
  readonly cpu: { run: string; delivered: number; perMessage: Map<string, number> }[];
  /** CPU seconds per second of each process with no traffic, per pair count. */
  readonly idle: { pairs: number; perSecond: Map<string, number> }[];
  /** Wake-ups per delivered message above idle by process (processWakeUps), one entry per open-loop run. */
  readonly wakeUps: { run: string; perMessage: Map<string, number> }[];
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');
const send = '/app/chat.send';

export async function runE2eBench(argv: readonly string[], log: Log): Promise<void> {
  const opts = e2eOptions(argv);
  const has = (scenario: Scenario) => opts.scenarios.includes(scenario);
  const world = await startBenchWorld(
    log,
    {
      // BENCH_DATABASE_URL: a database of its own when others run benchmarks on the same server.
      DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/parley_bench_e2e',
      SEND_RATE_PER_SECOND: '1000000',
      SEND_RATE_BURST: '1000000',
      // The gateway's heap is read after a full collection (see gc-probe.js).
      PARLEY_NODE_FLAGS: [
        process.env.PARLEY_NODE_FLAGS ?? '',
        '--expose-gc',
        '--require',
        resolve(__dirname, 'gc-probe.js'),
      ].join(' '),
    },
    ['projector', 'delivery', 'gateway', 'analytics', 'notifier'],
  );
  const results: Results = { rows: [], cpu: [], idle: [], wakeUps: [] };
  const started = performance.now();
  try {
    const pairUsers = has('open-loop') ? 2 * Math.max(...opts.pairs) : 0;
    const users = await world.seedUsers(pairUsers + 4 + (has('sessions') ? opts.sessions : 0));
    const scenario = async (name: string, run: () => Promise<void>) => {
      try {
        await run();
      } catch (error) {
        log(`  ${name} failed: ${(error as Error).message}`);
        results.rows.push([name, '', '', '', '', '', '', '', '', `failed: ${(error as Error).message}`]);
      }
    };
    if (has('open-loop'))
      for (const pairs of opts.pairs)
        await scenario(`open loop, ${pairs} pairs`, () =>
          openLoop(world, users.slice(0, 2 * pairs), opts, results, log),
        );
    if (has('one-connection'))
      await scenario('one connection', () =>
        oneConnection(world, users.slice(pairUsers, pairUsers + 2), opts, results, log, {
          warm: has('open-loop'),
        }),
      );
    if (has('offline'))
      await scenario('offline user', () =>
        offline(world, users.slice(pairUsers + 2, pairUsers + 4), opts, results, log),
      );
    if (has('sessions'))
      await scenario('idle sessions', () => idleSessions(world, users.slice(pairUsers + 4), results, log));
  } finally {
    // The tables first: a failure while the stack goes down must not lose a run's numbers.
    print(opts, results, (performance.now() - started) / 1000);
    await world.dispose();
  }
}

/** One STOMP connection per user, 100 connecting at a time. */
async function connectStandard(world: BenchWorld, users: readonly string[]): Promise<StandardStompClient[]> {
  const clients: StandardStompClient[] = [];
  for (let i = 0; i < users.length; i += 100)
    clients.push(
      ...(await Promise.all(
        users
          .slice(i, i + 100)
          .map(async (userId) => StandardStompClient.connect(world.wsUrl, await world.token(userId))),
      )),
    );
  return clients;
}

const message = (messageId: string, to: { conversationId: string } | { recipientId: string }, text: string) =>
  JSON.stringify({ messageId, ...to, text });

/** The first message of each pair creates their direct conversation; waits for every RECEIPT. */
async function openConversations(
  senders: readonly StandardStompClient[],
  recipients: readonly string[],
): Promise<void> {
  await withDeadline(
    Promise.all(
      senders.map((client, i) =>
        client.sendWithReceipt(send, message(randomUUID(), { recipientId: recipients[i]! }, 'hello')),
      ),
    ),
    60_000,
    'the first messages (which create the conversations) got no RECEIPT within 60 s',
  );
}

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The CPU seconds of every process of the stack so far, and of this one (the load generator). */
function cpuSample(world: BenchWorld): StackProcess[] {
  const usage = process.cpuUsage();
  const self = { pid: process.pid, kind: LOAD_GENERATOR, cpuSeconds: (usage.user + usage.system) / 1e6 };
  return [...stackProcesses(world.scope), self];
}

async function openLoop(
  world: BenchWorld,
  users: readonly string[],
  opts: E2eOptions,
  results: Results,
  log: Log,
): Promise<void> {
  const pairs = users.length / 2;
  const senderIds = users.slice(0, pairs);
  const recipientIds = users.slice(pairs);
  log(`\nOpen loop over ${pairs} pairs: connecting ${users.length} ${STANDARD} clients...`);
  const senders = await connectStandard(world, senderIds);
  const recipients = await connectStandard(world, recipientIds);
  const conversations = senderIds.map((id, i) => directConversationId(id, recipientIds[i]!));
  try {
    // Which scheduled send each messageId was, for the run in progress (a new map per run).
    let scheduled = new Map<string, number>();
    let latencies: number[] = [];
    for (const recipient of recipients) {
      recipient.subscribeInbox();
      recipient.onInboxItem = (body, arrivedAt) => {
        const { messageId } = JSON.parse(body) as { messageId: string };
        const at = scheduled.get(messageId);
        if (at === undefined) return;
        scheduled.delete(messageId);
        latencies.push(arrivedAt - at);
      };
    }
    await openConversations(senders, recipientIds);

    const run = async (rate: number, seconds: number) => {
      scheduled = new Map();
      latencies = [];
      const total = Math.max(1, Math.round(rate * seconds));
      const refusedBefore = senders.reduce((n, c) => n + c.refused, 0);
      const before = cpuSample(world);
      const { start, end } = await drive(rate, total, (j, at) => {
        const messageId = randomUUID();
        scheduled.set(messageId, at);
        const pair = j % pairs;
        senders[pair]!.send(send, message(messageId, { conversationId: conversations[pair]! }, `m${j}`));
      });
      const lastDue = start + scheduledOffsetMs(total - 1, rate);
      await waitUntil(() => scheduled.size === 0, lastDue + DELIVERY_DEADLINE_MS);
      const after = cpuSample(world);
      return {
        total,
        sentPerSecond: total / ((end - start) / 1000 + 1 / rate),
        window: (performance.now() - start) / 1000,
        refused: senders.reduce((n, c) => n + c.refused, 0) - refusedBefore,
        used: cpuUsedByKind(before, after),
        woken: wakeUpsByKind(before, after),
      };
    };

    // Long and fast enough for the JITs (V8's, the broker's C2) to settle: a first run at a low rate
    // otherwise pays for compiling the hot path and reports it as CPU per message.
    const warmUp = opts.warmUpSeconds;
    const warmUpRate = Math.min(500, Math.max(...opts.rates));
    log(`  warming up (the JITs of every process): ${warmUpRate} msgs/s for ${warmUp} s...`);
    await run(warmUpRate, warmUp);
    log(`  idle for ${opts.seconds} s (the CPU every process uses without traffic)...`);
    // The consumers behind the recipient's path (MessageDelivered, analytics) finish the warm-up first.
    await sleep(3_000);
    const idleBefore = cpuSample(world);
    await sleep(opts.seconds * 1000);
    const idleAfter = cpuSample(world);
    const perSecond = (totals: Map<string, number>) =>
      new Map([...totals].map(([kind, total]) => [kind, total / opts.seconds]));
    const idle = perSecond(cpuUsedByKind(idleBefore, idleAfter));
    const idleWakeUps = perSecond(wakeUpsByKind(idleBefore, idleAfter));
    results.idle.push({ pairs, perSecond: idle });

    for (const rate of opts.rates) {
      log(`  ${rate} msgs/s for ${opts.seconds} s...`);
      const outcome = await run(rate, opts.seconds);
      const summary = summarize(latencies);
      const inTime = latencies.filter((latency) => latency <= DELIVERY_DEADLINE_MS).length;
      results.rows.push([
        `open loop, ${pairs} pairs: SEND→MESSAGE`,
        STANDARD,
        rate,
        Math.round(outcome.sentPerSecond),
        inTime,
        outcome.total - inTime,
        ms(summary.p50),
        ms(summary.p99),
        ms(summary.p999),
        outcome.refused > 0 ? `${outcome.refused} refused` : '',
      ]);
      results.cpu.push({
        run: `${pairs} pairs, ${rate} msgs/s`,
        delivered: summary.count,
        perMessage: cpuPerMessageUs(outcome.used, idle, outcome.window, summary.count),
      });
      results.wakeUps.push({
        run: `${pairs} pairs, ${rate} msgs/s`,
        perMessage: perMessageAboveIdle(outcome.woken, idleWakeUps, outcome.window, summary.count),
      });
      log(
        `    delivered ${summary.count} of ${outcome.total}; p50 ${ms(summary.p50)} ms, p99 ${ms(summary.p99)} ms`,
      );
    }
  } finally {
    await Promise.all([...senders, ...recipients].map((client) => client.close()));
  }
}

async function oneConnection(
  world: BenchWorld,
  [senderId, recipientId]: readonly string[],
  opts: E2eOptions,
  results: Results,
  log: Log,
  /** An earlier scenario warmed every process's JIT up (open loop does, at its start). */
  { warm }: { warm: boolean },
): Promise<void> {
  const rate = opts.oneConnectionRate;
  log(`\nOne connection: ${rate} SENDs/s with receipts for ${opts.seconds} s to one recipient...`);
  const [sender, recipient] = await connectStandard(world, [senderId!, recipientId!]);
  try {
    const order: number[] = [];
    let warmUpDelivered = 0;
    recipient!.subscribeInbox();
    recipient!.onInboxItem = (body) => {
      const { text } = JSON.parse(body) as { text: string };
      if (text.startsWith('o')) order.push(Number(text.slice(1)));
      else if (text === 'warm-up') warmUpDelivered++;
    };
    await openConversations([sender!], [recipientId!]);
    const conversationId = directConversationId(senderId!, recipientId!);
    if (!warm) {
      // Run alone, the scenario would measure the JITs' first seconds too: a backlog built then
      // drains slowly at a rate near the machine's capacity. Warmed up first, as open loop does.
      const seconds = Math.min(opts.seconds, 5);
      const count = Math.round(rate * seconds);
      log(`  warming up (the JITs of every process): ${rate} msgs/s for ${seconds} s...`);
      let answered = 0;
      const { start } = await drive(rate, count, () => {
        void sender!
          .sendWithReceipt(send, message(randomUUID(), { conversationId }, 'warm-up'))
          .then(() => answered++);
      });
      const deadline = start + scheduledOffsetMs(count - 1, rate) + DELIVERY_DEADLINE_MS;
      await waitUntil(() => answered === count && warmUpDelivered === count, deadline);
      if (answered < count || warmUpDelivered < count)
        log(`  warm-up unfinished: ${answered} of ${count} answered, ${warmUpDelivered} delivered`);
      // As open loop: the consumers behind the recipient's path finish the warm-up first.
      await sleep(3_000);
    }
    const total = Math.round(rate * opts.seconds);
    const latencies: number[] = [];
    let lastReceipt = 0;
    const cpuBefore = cpuSample(world);
    const { start } = await drive(rate, total, (j, at) => {
      void sender!.sendWithReceipt(send, message(randomUUID(), { conversationId }, `o${j}`)).then((t) => {
        latencies.push(t - at);
        lastReceipt = Math.max(lastReceipt, t);
      });
    });
    const deadline = start + scheduledOffsetMs(total - 1, rate) + DELIVERY_DEADLINE_MS;
    await waitUntil(() => latencies.length === total && order.length === total, deadline);
    const used = cpuUsedByKind(cpuBefore, cpuSample(world));
    const summary = summarize(latencies);
    // The idle cost is not subtracted: the idle rows were measured with other clients connected.
    results.cpu.push({
      run: `one connection, ${rate} msgs/s (idle included)`,
      delivered: order.length,
      perMessage: cpuPerMessageUs(used, new Map(), (performance.now() - start) / 1000, order.length),
    });
    const late = outOfOrder(order);
    results.rows.push([
      'one connection: SEND→RECEIPT',
      STANDARD,
      rate,
      `${Math.round(summary.count / ((lastReceipt - start) / 1000))} acknowledged`,
      order.length,
      total - order.length,
      ms(summary.p50),
      ms(summary.p99),
      ms(summary.p999),
      `${summary.count} of ${total} acknowledged; ${late === 0 ? 'order kept' : `${late} received out of order`}`,
    ]);
    log(`  acknowledged ${summary.count} of ${total}; delivered ${order.length}; out of order ${late}`);
  } finally {
    await Promise.all([sender!.close(), recipient!.close()]);
  }
}

async function offline(
  world: BenchWorld,
  [senderId, userId]: readonly string[],
  opts: E2eOptions,
  results: Results,
  log: Log,
): Promise<void> {
  const total = opts.offlineMessages;
  log(`\nOffline user: ${total} messages over one connection while the recipient is offline...`);
  const [sender] = await connectStandard(world, [senderId!]);
  try {
    await openConversations([sender!], [userId!]);
    const conversationId = directConversationId(senderId!, userId!);
    const started = performance.now();
    const receipts = Array.from({ length: total - 1 }, (_, j) =>
      sender!.sendWithReceipt(send, message(randomUUID(), { conversationId }, `p${j}`)),
    );
    await withDeadline(
      Promise.all(receipts),
      300_000,
      `not every RECEIPT of ${total} SENDs within 5 minutes`,
    );
    const sendSeconds = (performance.now() - started) / 1000;
    log(`  sent and acknowledged in ${sendSeconds.toFixed(1)} s; waiting for the inbox to hold them...`);
    await world.waitForInbox([userId!], total);

    log('  the user connects...');
    const token = await world.token(userId!);
    const connecting = performance.now();
    const device = await StandardStompClient.connect(world.wsUrl, token);
    const connected = performance.now() - connecting;
    let received = 0;
    let first = NaN;
    let last = NaN;
    device.onInboxItem = (_, arrivedAt) => {
      received++;
      if (received === 1) first = arrivedAt - connecting;
      if (received === total) last = arrivedAt - connecting;
    };
    device.subscribeInbox();
    await waitUntil(() => received >= total, performance.now() + 120_000);
    await device.close();
    results.rows.push([
      `${total} to an offline user, then connect`,
      STANDARD,
      '',
      `${Math.round(total / sendSeconds)} sent`,
      received,
      total - received,
      '',
      '',
      '',
      `after the connect: first ${ms(first)} ms, last ${ms(last)} ms (CONNECTED after ${ms(connected)} ms)`,
    ]);
    log(`  first after ${ms(first)} ms, last after ${ms(last)} ms`);
  } finally {
    await sender!.close();
  }
}

interface MemoryUsage {
  readonly rss: number;
  readonly heapUsed: number;
  readonly collected: boolean;
}

/** The gateway's memory after a full collection, from gc-probe.js (SIGUSR2, then a file). */
async function gatewayMemory(world: BenchWorld): Promise<MemoryUsage> {
  const gateway = stackProcesses(world.scope).find((p) => p.kind === 'gateway');
  if (!gateway) throw new Error('the gateway process was not found in /proc');
  const file = join(tmpdir(), `parley-bench-memory-${gateway.pid}.json`);
  if (existsSync(file)) unlinkSync(file);
  process.kill(gateway.pid, 'SIGUSR2');
  await waitUntil(() => existsSync(file), performance.now() + 30_000);
  if (!existsSync(file)) throw new Error('the gateway wrote no memory report within 30 s');
  const usage = JSON.parse(readFileSync(file, 'utf8')) as MemoryUsage;
  unlinkSync(file);
  return usage;
}

async function gatewayQuiet(world: BenchWorld, deadline: number): Promise<void> {
  const gatewayCpu = () =>
    stackProcesses(world.scope)
      .filter((p) => p.kind === 'gateway')
      .reduce((sum, p) => sum + p.cpuSeconds, 0);
  let last = gatewayCpu();
  while (performance.now() < deadline) {
    await sleep(1_000);
    const now = gatewayCpu();
    if (now - last < 0.1) return;
    last = now;
  }
}

async function idleSessions(
  world: BenchWorld,
  users: readonly string[],
  results: Results,
  log: Log,
): Promise<void> {
  log(`\nIdle sessions: ${users.length} lean clients, each subscribed to its inbox...`);
  // The sessions of the scenarios before are gone; a first collection lets RSS settle before the
  // one that counts.
  await gatewayMemory(world);
  await sleep(2_000);
  const before = await gatewayMemory(world);
  const clients = await world.connect(users);
  for (const client of clients) client.subscribeInbox();
  // A SUBSCRIBE's RECEIPT may come before the inbox is read: what says every subscription is
  // served is a gateway gone quiet.
  log('  waiting for the gateway to go quiet (under 10% of a core for a second)...');
  await gatewayQuiet(world, performance.now() + 120_000);
  const after = await gatewayMemory(world);
  for (const client of clients) client.close();
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  results.rows.push([
    `${users.length} idle sessions with an inbox subscription`,
    'lean (StompLoadClient)',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    `gateway per session: heap ${kb((after.heapUsed - before.heapUsed) / users.length)} KB, ` +
      `RSS ${kb((after.rss - before.rss) / users.length)} KB (heap ${mb(before.heapUsed)}→${mb(after.heapUsed)} MB, ` +
      `RSS ${mb(before.rss)}→${mb(after.rss)} MB${after.collected ? ', after a full GC' : ', no GC available'})`,
  ]);
  const row = results.rows[results.rows.length - 1] ?? [];
  log(`  ${row[row.length - 1]}`);
}

function print(opts: E2eOptions, results: Results, seconds: number): void {
  console.log(
    `\nEnd-to-end benchmark (${opts.scenarios.join(', ')}; ${opts.seconds} s per rate; took ${Math.round(seconds)} s)`,
  );
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ` +
      `${new Date().toISOString().slice(0, 10)}; latency from the scheduled send (open loop) to the MESSAGE or RECEIPT\n`,
  );
  console.log(
    table(
      [
        'scenario',
        'client',
        'offered msgs/s',
        'achieved msgs/s',
        'delivered',
        'not delivered in 15 s',
        'p50 ms',
        'p99 ms',
        'p99.9 ms',
        'notes',
      ],
      results.rows,
    ),
  );
  if (results.cpu.length === 0) return;
  const kinds = [...new Set(results.cpu.flatMap((run) => [...run.perMessage.keys()]))]
    .filter((kind) => kind !== LOAD_GENERATOR)
    .sort();
  const us = (value: number | undefined) =>
    value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(0);
  const rows: Row[] = results.cpu.map(({ run, delivered, perMessage }) => {
    const system = kinds.reduce((sum, kind) => sum + (perMessage.get(kind) ?? 0), 0);
    return [
      run,
      delivered,
      ...kinds.map((kind) => us(perMessage.get(kind))),
      us(system),
      us(perMessage.get(LOAD_GENERATOR)),
    ];
  });
  for (const { pairs, perSecond: idle } of results.idle)
    rows.push([
      `idle, ${pairs} pairs connected (% of one core)`,
      '',
      ...kinds.map((kind) => ((idle.get(kind) ?? 0) * 100).toFixed(1)),
      (kinds.reduce((sum, kind) => sum + (idle.get(kind) ?? 0), 0) * 100).toFixed(1),
      ((idle.get(LOAD_GENERATOR) ?? 0) * 100).toFixed(1),
    ]);
  console.log(
    '\nCPU per delivered message above idle, unless a row says so (µs; from /proc, over the sending and its delivery; ' +
      "Kafka and Redis are counted whole, PostgreSQL is its server and this database's backends):\n",
  );
  console.log(table(['run', 'delivered', ...kinds, 'all but the load generator', LOAD_GENERATOR], rows));
  if (results.wakeUps.length === 0) return;
  console.log(
    '\nWake-ups per delivered message above idle (voluntary context switches of all threads; each costs ' +
      'a process here 200-300 µs of CPU at everyday rates, docs/status.md):\n',
  );
  console.log(
    table(
      ['run', ...kinds, 'all but the load generator'],
      results.wakeUps.map(({ run, perMessage }) => [
        run,
        ...kinds.map((kind) => (perMessage.get(kind) ?? NaN).toFixed(1)),
        kinds.reduce((sum, kind) => sum + (perMessage.get(kind) ?? 0), 0).toFixed(1),
      ]),
    ),
  );
}
