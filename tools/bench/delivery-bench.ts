// `npm run bench:delivery`: send→deliver latency with many connected users at several rates, and the
// time to replay pending inboxes on connect. Prints tables; measures, asserts nothing.
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Log } from '../stack/stack-setup';
import { startBenchWorld, type BenchWorld } from './bench-world';
import { percentile, table } from './latency';
import type { StompLoadClient } from './stomp-load-client';

function options(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      users: { type: 'string', default: '10000' },
      senders: { type: 'string', default: '1000' },
      rates: { type: 'string', default: '1000,5000,10000' },
      seconds: { type: 'string', default: '10' },
      pending: { type: 'string', default: '10000' },
      'replay-users': { type: 'string', default: '1000' },
      'replay-per-user': { type: 'string', default: '100' },
    },
  });
  return {
    users: Number(values.users),
    senders: Number(values.senders),
    rates: values.rates.split(',').filter(Boolean).map(Number),
    seconds: Number(values.seconds),
    pending: Number(values.pending),
    replayUsers: Number(values['replay-users']),
    replayPerUser: Number(values['replay-per-user']),
  };
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');
const body = (to: string, text: string) => JSON.stringify({ messageId: randomUUID(), recipientId: to, text });

export async function runDeliveryBench(argv: readonly string[], log: Log): Promise<void> {
  const opts = options(argv);
  const world = await startBenchWorld(log);
  try {
    const users = await world.seedUsers(opts.users + 1 + opts.replayUsers);
    const online = users.slice(0, opts.users);
    const [lonely] = users.slice(opts.users, opts.users + 1);
    const offline = users.slice(opts.users + 1);

    log(`\nConnecting ${online.length} STOMP sessions (each subscribed to its inbox, ACKing every item)...`);
    const clients = await world.connect(online, (i) => ({ 'device-id': `device-${i}` }));
    const sentAt = new Map<string, number>();
    let latencies: number[] = [];
    for (const client of clients) {
      client.onInboxItem = (raw) => {
        const { messageId } = JSON.parse(raw.toString('utf8')) as { messageId: string };
        const started = sentAt.get(messageId);
        if (started === undefined) return;
        sentAt.delete(messageId);
        latencies.push(performance.now() - started);
      };
      client.subscribeInbox();
    }

    // Sender i writes to the user half the population away; the first message creates the conversation.
    const senders = clients.slice(0, opts.senders);
    const recipientOf = (i: number) => online[(i + Math.floor(online.length / 2)) % online.length]!;
    log('Creating the direct conversations (first messages)...');
    await Promise.all(
      senders.map((client, i) => client.sendWithReceipt('/app/chat.send', body(recipientOf(i), 'hello'))),
    );

    const rows: (string | number)[][] = [];
    for (const rate of opts.rates) {
      log(`Sending ${rate} messages/s for ${opts.seconds} s...`);
      latencies = [];
      sentAt.clear();
      const intervalMs = (senders.length / rate) * 1000;
      const end = Date.now() + opts.seconds * 1000;
      let sent = 0;
      const started = performance.now();
      await Promise.all(
        senders.map(async (client, i) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs));
          for (let next = performance.now(); Date.now() < end; next += intervalMs) {
            const payload = body(recipientOf(i), 'a message');
            sentAt.set((JSON.parse(payload) as { messageId: string }).messageId, performance.now());
            sent++;
            void client.sendWithReceipt('/app/chat.send', payload).catch(() => undefined);
            await new Promise((resolve) =>
              setTimeout(resolve, Math.max(0, next + intervalMs - performance.now())),
            );
          }
        }),
      );
      const sendSeconds = (performance.now() - started) / 1000;
      const deadline = Date.now() + 15_000;
      while (sentAt.size > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const sorted = [...latencies].sort((a, b) => a - b);
      rows.push([
        rate,
        Math.round(sent / sendSeconds),
        sorted.length,
        sentAt.size,
        ms(percentile(sorted, 50)),
        ms(percentile(sorted, 99)),
        ms(percentile(sorted, 99.9)),
      ]);
    }

    const replay = await replays(world, senders, lonely!, offline, opts, log);

    console.log(
      `\nDelivery benchmark: ${online.length} connected users, ${senders.length} of them sending (open loop)`,
    );
    console.log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`,
    );
    console.log(
      table(
        [
          'target msgs/s',
          'sent msgs/s',
          'delivered',
          'not delivered in 15 s',
          'p50 ms',
          'p99 ms',
          'p99.9 ms',
        ],
        rows,
      ),
    );
    console.log('\nReplay on connect (from SUBSCRIBE to the first and to the last item):\n');
    console.log(table(['case', 'items', 'first item ms', 'last item ms'], replay));
  } finally {
    await world.dispose();
  }
}

async function replays(
  world: BenchWorld,
  senders: readonly StompLoadClient[],
  lonely: string,
  offline: readonly string[],
  opts: ReturnType<typeof options>,
  log: Log,
): Promise<(string | number)[][]> {
  const results: (string | number)[][] = [];
  /** Each sender sends `perTarget` messages to each of its targets (sender i: targets i, i+senders, ...). */
  const sendMany = async (targets: readonly string[], perTarget: number) => {
    await Promise.all(
      senders.map(async (client, i) => {
        for (let t = i; t < targets.length; t += senders.length)
          for (let n = 0; n < perTarget; n++)
            await client.sendWithReceipt('/app/chat.send', body(targets[t]!, `pending ${n}`));
      }),
    );
  };
  const measure = async (userIds: readonly string[], items: number) => {
    const clients = await world.connect(userIds);
    let received = 0;
    let first = NaN;
    let last = NaN;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      for (const client of clients) {
        client.onInboxItem = () => {
          received++;
          if (received === 1) first = performance.now() - started;
          if (received === items) {
            last = performance.now() - started;
            resolve();
          }
        };
        client.subscribeInbox();
      }
      setTimeout(resolve, 120_000);
    });
    for (const client of clients) client.close();
    return [first, last];
  };

  if (opts.pending > 0) {
    const senderCount = Math.min(10, senders.length);
    const perSender = Math.ceil(opts.pending / senderCount);
    log(`\nFilling one offline user's inbox with ${perSender * senderCount} messages...`);
    await sendMany(
      Array.from({ length: senderCount }, () => lonely),
      perSender,
    );
    await world.waitForInbox([lonely], perSender * senderCount);
    const [first, last] = await measure([lonely], perSender * senderCount);
    results.push(['one user', perSender * senderCount, ms(first!), ms(last!)]);
  }

  if (offline.length === 0 || opts.replayPerUser === 0) return results;
  const total = offline.length * opts.replayPerUser;
  log(`Filling ${offline.length} offline users' inboxes with ${opts.replayPerUser} messages each...`);
  await sendMany(offline, opts.replayPerUser);
  await world.waitForInbox(offline, total);
  log(`Connecting the ${offline.length} users at once...`);
  const [firstMany, lastMany] = await measure(offline, total);
  results.push([`${offline.length} users at once`, total, ms(firstMany!), ms(lastMany!)]);
  return results;
}
