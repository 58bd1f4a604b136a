// `npm run bench:send`: N concurrent STOMP connections send as fast as their RECEIPTs allow (each
// waits for its RECEIPT before the next SEND); prints acknowledged sends per second, RECEIPT latency
// percentiles and the CPU time of each process. Not a test: it measures, it does not assert.
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { directConversationId } from '@parley/domain';
import type { Log } from '../stack/stack-setup';
import { startBenchWorld } from './bench-world';
import { percentile, table } from './latency';
import { cpuSecondsByProcess } from './process-cpu';

interface Options {
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Open loop: this many sends per second in all, spread over the connections (0: closed loop). */
  readonly rate: number;
}

function options(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      connections: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      rate: { type: 'string', default: '0' },
    },
  });
  return {
    connections: Number(values.connections),
    seconds: Number(values.seconds),
    warmupSeconds: Number(values.warmup),
    rate: Number(values.rate),
  };
}

export async function runSendBench(argv: readonly string[], log: Log): Promise<void> {
  const opts = options(argv);
  const world = await startBenchWorld(log);
  try {
    const users = await world.seedUsers(opts.connections);
    log(`\nConnecting ${opts.connections} STOMP sessions...`);
    const clients = await world.connect(users);

    // Each user talks to a partner (pairs); the first message creates the direct conversation.
    const partner = (i: number) => users[i ^ 1] ?? users[0]!;
    const conversation = (i: number) => directConversationId(users[i]!, partner(i));
    log('Creating the direct conversations (first messages)...');
    await Promise.all(
      clients.map((client, i) =>
        client.sendWithReceipt(
          '/app/chat.send',
          JSON.stringify({ messageId: randomUUID(), recipientId: partner(i), text: 'hello' }),
        ),
      ),
    );

    const send = async (i: number, latencies: number[] | undefined) => {
      const body = JSON.stringify({
        messageId: randomUUID(),
        conversationId: conversation(i),
        text: 'a message',
      });
      const ms = await clients[i]!.sendWithReceipt('/app/chat.send', body);
      latencies?.push(ms);
    };
    // Closed loop: every connection sends its next message as soon as the RECEIPT of the last one is in.
    const closedLoop = async (seconds: number, latencies: number[] | undefined) => {
      const end = Date.now() + seconds * 1000;
      let sent = 0;
      await Promise.all(
        clients.map(async (_, i) => {
          while (Date.now() < end) {
            await send(i, latencies);
            sent++;
          }
        }),
      );
      return sent;
    };
    // Open loop: a fixed total rate, each connection sending on its own schedule, whatever the latency.
    const openLoop = async (seconds: number, latencies: number[] | undefined) => {
      const intervalMs = (clients.length / opts.rate) * 1000;
      const end = Date.now() + seconds * 1000;
      const pending: Promise<void>[] = [];
      await Promise.all(
        clients.map(async (_, i) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs));
          for (let next = performance.now(); Date.now() < end; next += intervalMs) {
            pending.push(send(i, latencies));
            await new Promise((resolve) =>
              setTimeout(resolve, Math.max(0, next + intervalMs - performance.now())),
            );
          }
        }),
      );
      await Promise.all(pending);
      return pending.length;
    };
    const run = opts.rate > 0 ? openLoop : closedLoop;

    log(`Warming up for ${opts.warmupSeconds} s...`);
    await run(opts.warmupSeconds, undefined);

    log(`Measuring for ${opts.seconds} s...`);
    const latencies: number[] = [];
    const cpuBefore = cpuSecondsByProcess({
      'load generator (this process)': process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    });
    const started = performance.now();
    const sent = await run(opts.seconds, latencies);
    const elapsed = (performance.now() - started) / 1000;
    const usage = process.cpuUsage();
    const cpuAfter = cpuSecondsByProcess({
      'load generator (this process)': usage.user / 1e6 + usage.system / 1e6,
    });
    const refused = clients.reduce((n, c) => n + c.unexpected.length, 0);

    latencies.sort((a, b) => a - b);
    const fmt = (ms: number) => ms.toFixed(1);
    console.log(
      opts.rate > 0
        ? `\nSend benchmark: ${opts.connections} STOMP connections sending ${opts.rate} messages/s in all (open loop)`
        : `\nSend benchmark: ${opts.connections} STOMP connections, each waiting for its RECEIPT before the next SEND`,
    );
    console.log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`,
    );
    console.log(
      table(
        ['acknowledged sends', 'seconds', 'sends/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'refused'],
        [
          [
            sent,
            elapsed.toFixed(1),
            Math.round(sent / elapsed),
            fmt(percentile(latencies, 50)),
            fmt(percentile(latencies, 99)),
            fmt(percentile(latencies, 99.9)),
            fmt(latencies[latencies.length - 1] ?? NaN),
            refused,
          ],
        ],
      ),
    );
    const rows = [...cpuAfter.entries()]
      .map(([kind, after]) => {
        const used = after - (cpuBefore.get(kind) ?? 0);
        return [
          kind,
          used.toFixed(1),
          `${Math.round((used / elapsed) * 100)}%`,
          ((used / sent) * 1e6).toFixed(0),
        ] as const;
      })
      .sort((a, b) => Number(b[1]) - Number(a[1]));
    console.log(`\nCPU time during the measurement (100% = one core of ${cpus().length}):\n`);
    console.log(table(['process', 'CPU s', 'of one core', 'µs per send'], rows));
  } finally {
    await world.dispose();
  }
}
