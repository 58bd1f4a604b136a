import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterLayout, runningPid, startCluster, stopCluster, REPO_ROOT } from '@parley/kafka-infra';
import { startBenchWorld, type BenchWorld } from '../bench/bench-world';
import { freePort, type Log } from '../stack/stack-setup';
import { OwnPostgres } from './own-postgres';
import { OwnRedis } from './own-redis';
import { SoakLedger, formatTable, type FaultRecord, type TableRow } from './soak-ledger';
import { SoakTraffic, type SendTarget, type SoakUser } from './soak-traffic';

/** The faults, in the order they are injected. */
export const FAULTS = [
  'gateway',
  'projector',
  'delivery',
  'schema-registry',
  'analytics',
  'kafka-broker',
  'redis',
  'postgres',
] as const;
export type FaultName = (typeof FAULTS)[number];

export interface SoakOptions {
  /** How long traffic runs, faults included. */
  readonly durationMs: number;
  /** Sends per second, all users together. */
  readonly rate: number;
  readonly users: number;
  /** The trio's first broker port (its controllers are 100 above). */
  readonly kafkaPort: number;
  /**
   * Traffic before the first fault; the faults are then spread evenly over the rest (`spread`), or
   * follow each other `gapMs` after the previous one was repaired (`back-to-back`).
   */
  readonly warmUpMs: number;
  readonly schedule: 'spread' | 'back-to-back';
  readonly gapMs: number;
  /** How long a killed broker stays down, traffic in flight. */
  readonly brokerDownMs: number;
  /**
   * How long a repair may take before the soak calls the fault not repaired. On two cores shared
   * with other work a service's restart has taken over two minutes (the gateway), and a killed
   * broker, which recovers its logs while five services restart around it, 42 s with one core kept
   * busy; a slower CI machine went past the 90 s a broker start otherwise gets.
   */
  readonly repairDeadlineMs: number;
  /** Longest wait, after the traffic, for every acknowledged message to reach history and devices. */
  readonly settleTimeoutMs: number;
  readonly log: Log;
}

export interface SoakResult {
  readonly rows: readonly TableRow[];
  readonly table: string;
  /** Each broken invariant, in words; empty when the soak passed. */
  readonly violations: readonly string[];
  readonly summary: string;
  readonly faults: readonly FaultRecord[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The fault soak: its own Kafka trio, Redis and PostgreSQL, the services on them, mixed traffic, and
 * each fault in turn; then the invariants. Everything it starts it stops, whatever happens.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { log } = options;
  const began = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'parley-soak-'));
  const serviceLog = join(workDir, 'services.log');
  const cleanups: (() => Promise<unknown>)[] = [];
  // The soak points this process's environment at its own infrastructure (the stack set-up reads it);
  // whatever runs after it in the same process (a jest worker's next spec) gets the old one back.
  const savedEnv = { ...process.env };
  process.env.PARLEY_KAFKA_TRIO_PORT = String(options.kafkaPort);
  const teardown = async () => {
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((e: unknown) => log(`teardown: ${String(e)}`));
  };
  // Ctrl-C: the brokers, PostgreSQL, Redis and the services go too (they would outlive the soak).
  const interrupted = () => {
    log('Interrupted: stopping everything the soak started...');
    void teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    log(
      `Soak: own Kafka trio on ${options.kafkaPort}-${options.kafkaPort + 2}, Redis, PostgreSQL (service output: ${serviceLog})`,
    );
    const trio = clusterLayout('trio');
    // A trio left by an interrupted soak would carry old topics: each soak starts from empty folders.
    await stopCluster('trio', () => undefined);
    rmSync(trio.dir, { recursive: true, force: true });
    cleanups.push(async () => {
      await stopCluster('trio', () => undefined);
      rmSync(trio.dir, { recursive: true, force: true });
    });
    const redis = new OwnRedis(await freePort(), log);
    cleanups.push(() => redis.stop());
    const postgresPort = await freePort();
    const [, , postgres] = await Promise.all([
      startCluster('trio', (line) => log(`  ${line}`)),
      redis.start(),
      OwnPostgres.create(postgresPort, log).then(async (pg) => {
        cleanups.push(() => pg.destroy());
        await pg.start();
        return pg;
      }),
    ]);

    const ports = {
      registryPort: await freePort(),
      projectorPort: await freePort(),
      deliveryPort: await freePort(),
      gatewayPort: await freePort(),
      gatewayOpsPort: await freePort(),
      analyticsPort: await freePort(),
      analyticsOpsPort: await freePort(),
    };
    // The soak's registry is its own (it is one of the faults): not the one `npm test` may name.
    delete process.env.SCHEMA_REGISTRY_URL;
    const world = await startBenchWorld(
      (line) => log(`  ${line.trim()}`),
      {
        KAFKA_BROKERS: trio.bootstrap.join(','),
        TOPIC_PROFILE: 'production',
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        LOG_LEVEL: 'warn',
        READ_RATE_PER_SECOND: '100000',
        READ_RATE_BURST: '100000',
      },
      ['projector', 'delivery', 'gateway', 'analytics'],
      {
        ...ports,
        output: (name, line) => appendFileSync(serviceLog, `[${name}] ${line}\n`),
      },
    );
    // The soak crashes this PostgreSQL: an idle client's error must not end the process.
    world.pool.on('error', () => undefined);
    cleanups.push(() => world.dispose());
    const readyUrls: Record<string, string> = {
      'schema-registry': `http://127.0.0.1:${ports.registryPort}/readyz`,
      projector: `http://127.0.0.1:${ports.projectorPort}/readyz`,
      delivery: `http://127.0.0.1:${ports.deliveryPort}/readyz`,
      gateway: `http://127.0.0.1:${ports.gatewayOpsPort}/readyz`,
      analytics: `http://127.0.0.1:${ports.analyticsOpsPort}/readyz`,
    };
    const httpUrl = `http://127.0.0.1:${ports.gatewayPort}`;

    const users = await population(world, options.users, httpUrl);
    const ledger = new SoakLedger();
    const traffic = new SoakTraffic({
      wsUrl: world.wsUrl,
      httpUrl,
      users,
      token: (userId) => world.token(userId),
      ledger,
      rate: options.rate,
      httpShare: 0.1,
      readEvery: 10,
      bounceEveryMs: 2_000,
    });
    cleanups.push(() => traffic.close());
    log(`Connecting ${users.length} devices...`);
    await traffic.connectAll();

    const startedAt = Date.now();
    ledger.begin(startedAt);
    const setUpSeconds = Math.round((startedAt - began) / 1000);
    log(
      `Traffic: ${options.rate} sends/s (10% over HTTP), ${users.length} users, read receipts, a device bouncing every 2 s`,
    );
    traffic.startSending();
    const progress = setInterval(() => {
      const acked = ledger.acknowledged().length;
      const received = [...ledger.received.values()].reduce((n, s) => n + s.size, 0);
      log(
        `  ${Math.round((Date.now() - startedAt) / 1000)} s: ${acked} acknowledged (${Math.round(acked / ((Date.now() - startedAt) / 1000))}/s), ` +
          `${traffic.outstandingCount} outstanding, ${received} received by devices, ${traffic.skipped} not made (back-pressure)`,
      );
    }, 10_000);
    try {
      await injectFaults(options, {
        ledger,
        redis,
        postgres,
        world,
        readyUrls,
        startedAt,
      });
      const left = startedAt + options.durationMs - Date.now();
      if (left > 0) await sleep(left);
    } finally {
      clearInterval(progress);
    }
    await traffic.stopSending();
    log(
      `Traffic stopped after ${Math.round((Date.now() - startedAt) / 1000)} s; waiting for ${traffic.outstandingCount} outstanding sends...`,
    );
    await traffic.drain(60_000);

    const stoppedAt = Date.now();
    log('Waiting for every acknowledged message to reach history and every recipient device...');
    const findings = await settle(world, ledger, options.settleTimeoutMs, log);
    // Verify is run again when it could not run at all (not when it found differences): right after
    // a broker restart its range reads have failed with a kafkajs error ("Consumer group was not
    // initialized"); the failed attempts are told in the summary.
    let verify = await verifyProjections(world, log);
    const verifyFailures: string[] = [];
    while (!verify.ok && /parley: failed:/.test(verify.output) && verifyFailures.length < 2) {
      verifyFailures.push(verify.output.split('\n').pop() ?? '');
      await sleep(5_000);
      verify = await verifyProjections(world, log);
    }

    const rows = ledger.table(findings);
    const total = rows[rows.length - 1] as TableRow;
    const violations: string[] = [];
    if (total.missing > 0)
      violations.push(
        `${total.missing} acknowledged messages missing from history: ${sample(findings.missing)}`,
      );
    if (total.duplicates > 0)
      violations.push(
        `${total.duplicates} messages duplicated in the read models: ${sample(findings.duplicated)}`,
      );
    if (total.undelivered > 0)
      violations.push(
        `${total.undelivered} acknowledged messages not delivered to every recipient device: ${sample(new Set(findings.undelivered.keys()))}`,
      );
    if (!verify.ok) violations.push(`projections verify found differences:\n${verify.output}`);
    for (const fault of ledger.faults)
      if (fault.restoredAt === undefined)
        violations.push(`${fault.name} was not repaired: ${fault.failure ?? 'its repair never ended'}`);
    const unacked = ledger.unacknowledged().length;
    const seconds =
      (ledger.acknowledged().reduce((max, s) => Math.max(max, s.firstAttemptAt), startedAt) - startedAt) /
      1000;
    const summary =
      `${total.acknowledged} sends acknowledged in ${Math.round(seconds)} s (${Math.round(total.acknowledged / Math.max(1, seconds))}/s sustained, ` +
      `target ${options.rate}/s), ${unacked} never acknowledged, ${traffic.skipped} not made (back-pressure); ` +
      `inbox subscriptions made again on request: ${traffic.devices.reduce((n, d) => n + d.resubscribed, 0)}; ` +
      `retried answers: ${[...traffic.refusals].map(([code, n]) => `${code} ${n}`).join(', ') || 'none'}; ` +
      `projections verify ${verify.ok ? 'clean' : 'FOUND DIFFERENCES'}${verifyFailures.length ? ` (after ${verifyFailures.length} attempts that could not run: ${verifyFailures.join('; ')})` : ''}; set-up ${setUpSeconds} s, traffic ` +
      `${Math.round((stoppedAt - startedAt) / 1000)} s, settling and checks ${Math.round((Date.now() - stoppedAt) / 1000)} s`;
    return { rows, table: formatTable(rows), violations, summary, faults: ledger.faults };
  } finally {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((e: unknown) => log(`teardown: ${String(e)}`));
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * `count` users; each writes to the next two users directly and belongs to one group of five (the
 * groups made over HTTP by their first member, as a client would).
 */
async function population(world: BenchWorld, count: number, httpUrl: string): Promise<SoakUser[]> {
  const ids = await world.seedUsers(count);
  const groups: { conversationId: string; members: string[] }[] = [];
  // A trio just started has answered 503 (Kafka unavailable) for a few seconds: each group is tried
  // again after the `retryAfterMs` it names, as a client does, for up to a minute in all. A group
  // a timed-out try made after all is one more group nobody writes to.
  const deadline = Date.now() + 60_000;
  for (let i = 0; i + 5 <= ids.length; i += 5) {
    const members = ids.slice(i, i + 5);
    const create = async () =>
      fetch(`${httpUrl}/v1/conversations`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await world.token(members[0] as string)}`,
        },
        body: JSON.stringify({ title: `soak group ${i / 5}`, memberIds: members }),
        signal: AbortSignal.timeout(30_000),
      });
    let response = await create();
    while (response.status === 503 && Date.now() < deadline) {
      const { error } = (await response.json().catch(() => ({}))) as { error?: { retryAfterMs?: number } };
      await sleep(error?.retryAfterMs ?? 1_000);
      response = await create();
    }
    if (response.status !== 201)
      throw new Error(`creating a group: ${response.status} ${await response.text()}`);
    const { conversationId } = (await response.json()) as { conversationId: string };
    groups.push({ conversationId, members });
  }
  return ids.map((userId, i) => {
    const targets: SendTarget[] = [1, 2].map((step) => {
      const other = ids[(i + step) % ids.length] as string;
      return { recipientId: other, recipients: [other] };
    });
    for (const group of groups.filter((g) => g.members.includes(userId)))
      targets.push({
        conversationId: group.conversationId,
        recipients: group.members.filter((m) => m !== userId),
      });
    return { userId, targets };
  });
}

interface FaultContext {
  readonly ledger: SoakLedger;
  readonly redis: OwnRedis;
  readonly postgres: OwnPostgres;
  readonly world: BenchWorld;
  readonly readyUrls: Record<string, string>;
  readonly startedAt: number;
}

async function injectFaults(options: SoakOptions, context: FaultContext): Promise<void> {
  const { log, durationMs, warmUpMs } = options;
  // Spread: the faults share the time between the warm-up and the last fifth (left to settle), each
  // repaired before the next. Back to back: each `gapMs` after the previous one, repairs overlapping
  // (a short round: the restarts of five services and a broker take minutes on two busy cores).
  const interval = options.schedule === 'spread' ? (durationMs * 0.8 - warmUpMs) / FAULTS.length : 0;
  const repairs: Promise<void>[] = [];
  let earliest = context.startedAt + warmUpMs;
  for (const [i, name] of FAULTS.entries()) {
    const at = Math.max(earliest, context.startedAt + warmUpMs + i * interval);
    if (at > Date.now()) await sleep(at - Date.now());
    const record = context.ledger.fault(name, Date.now());
    log(
      `FAULT ${i + 1}/${FAULTS.length} at ${Math.round((record.at - context.startedAt) / 1000)} s: ${describe(name)}`,
    );
    const repaired = inject(name, options, context).then(
      () => {
        record.restoredAt = Date.now();
        log(`  ${name} repaired after ${((record.restoredAt - record.at) / 1000).toFixed(1)} s`);
      },
      // Reported as a violation at the end (restoredAt stays undefined); the soak goes on.
      (error: unknown) => {
        record.failure = error instanceof Error ? error.message : String(error);
        log(`  ${name} NOT REPAIRED: ${record.failure}`);
      },
    );
    if (options.schedule === 'spread') await repaired;
    else repairs.push(repaired);
    earliest = Date.now() + options.gapMs;
  }
  await Promise.all(repairs);
}

function describe(name: FaultName): string {
  switch (name) {
    case 'kafka-broker':
      return 'kill -9 one broker of three, traffic in flight; start it again';
    case 'redis':
      return 'kill -9 Redis; start it again, empty';
    case 'postgres':
      return 'PostgreSQL stopped in immediate mode (a crash); started again';
    default:
      return `kill -9 ${name}; its supervisor restarts it`;
  }
}

async function inject(name: FaultName, options: SoakOptions, context: FaultContext): Promise<void> {
  switch (name) {
    case 'kafka-broker': {
      const victim = clusterLayout('trio').nodes[1];
      const pid = victim ? runningPid(victim) : undefined;
      if (pid === undefined) throw new Error('the trio has no running broker 2 to kill');
      process.kill(pid, 'SIGKILL');
      await sleep(options.brokerDownMs);
      await startCluster('trio', () => undefined, options.repairDeadlineMs);
      return;
    }
    case 'redis':
      await context.redis.kill();
      await context.redis.start();
      return;
    case 'postgres':
      await context.postgres.crash();
      await context.postgres.start(options.repairDeadlineMs);
      return;
    default: {
      const service = context.world.stack.services.get(name);
      const pid = service?.pid;
      if (!service || pid === undefined) throw new Error(`no running ${name} to kill`);
      process.kill(pid, 'SIGKILL');
      const url = context.readyUrls[name] as string;
      const deadline = Date.now() + options.repairDeadlineMs;
      while (!(service.pid !== pid && (await answers(url)))) {
        if (Date.now() > deadline)
          throw new Error(
            `${name} was not ready again within ${options.repairDeadlineMs / 1000} s of its kill`,
          );
        await sleep(200);
      }
    }
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Waits until every acknowledged message is in history and on every recipient's device (or the time
 * is up), then reports what is missing, duplicated or undelivered.
 */
async function settle(world: BenchWorld, ledger: SoakLedger, timeoutMs: number, log: Log) {
  const acked = ledger.acknowledged().map((s) => s.messageId);
  const deadline = Date.now() + timeoutMs;
  let missing = new Set<string>(acked);
  let lastReport = Date.now();
  for (;;) {
    const { rows } = await world.pool
      .query<{ message_id: string }>('SELECT message_id FROM messages WHERE message_id = ANY($1::text[])', [
        acked,
      ])
      .catch(() => ({ rows: [] as { message_id: string }[] }));
    const found = new Set(rows.map((r) => r.message_id));
    missing = new Set(acked.filter((id) => !found.has(id)));
    const undelivered = ledger.undelivered();
    if ((missing.size === 0 && undelivered.size === 0) || Date.now() > deadline) break;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(`  ${missing.size} not in history yet, ${undelivered.size} not on every recipient device yet`);
    }
    await sleep(500);
  }
  // A primary key makes a second `messages` row impossible; the inbox has no such key on the message.
  const { rows: duplicates } = await world.pool.query<{ message_id: string }>(
    `SELECT message_id FROM messages WHERE message_id = ANY($1::text[]) GROUP BY message_id HAVING count(*) > 1
     UNION SELECT message_id FROM inbox_items WHERE message_id = ANY($1::text[]) GROUP BY user_id, message_id HAVING count(*) > 1
     UNION SELECT message_id FROM message_recipients WHERE message_id = ANY($1::text[]) GROUP BY message_id, recipient_id HAVING count(*) > 1`,
    [acked],
  );
  return {
    missing,
    duplicated: new Set(duplicates.map((r) => r.message_id)),
    undelivered: ledger.undelivered(),
  };
}

/** `parley projections verify`, the operator's own check, run as the operator runs it. */
async function verifyProjections(world: BenchWorld, log: Log): Promise<{ ok: boolean; output: string }> {
  log('Running parley projections verify...');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'apps/cli/src/main.ts'), 'projections', 'verify'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...world.stack.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  const lines = output
    .split('\n')
    .filter(
      (line) => line.trim() && !/^\s*(Verifying|\d+(\.\d+)?%|records)/.test(line) && !line.includes('\r'),
    );
  log(lines.map((line) => `  ${line}`).join('\n'));
  return { ok: code === 0, output: lines.join('\n') };
}

function sample(ids: ReadonlySet<string>): string {
  const list = [...ids];
  return `${list.slice(0, 5).join(', ')}${list.length > 5 ? `, ... (${list.length})` : ''}`;
}
