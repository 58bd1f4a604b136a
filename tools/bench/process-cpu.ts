import { readFileSync, readdirSync } from 'node:fs';

/**
 * Which stack a benchmark measures, so that other stacks on the same machine (another checkout's
 * apps, other databases' PostgreSQL backends) are not counted. Kafka and Redis are shared: all of
 * them counts.
 */
export interface ProcessScope {
  /** The TOPIC_PREFIX of the benchmark's apps (they all get it in their environment). */
  readonly topicPrefix: string;
  /** The benchmark's database: PostgreSQL backends of other databases are left out. */
  readonly database: string;
}

/** What /proc says about one process. */
export interface ProcessInfo {
  readonly cmdline: string;
  readonly comm: string;
  /** Read only for the apps (a scope needs it); undefined when not read or not readable. */
  readonly environ?: readonly string[];
}

const APPS = ['gateway', 'projector', 'delivery', 'analytics', 'notifier', 'schema-registry'];

/** The app a command line runs: from its build (dist/apps/<name>/main.js) or, started by hand, its source. */
function appOf(cmdline: string): string | undefined {
  return APPS.find(
    (app) => cmdline.includes(`dist/apps/${app}/main.js`) || cmdline.includes(`apps/${app}/src/main.ts`),
  );
}

/** Whether a command line runs one of the apps. */
export function isApp(cmdline: string): boolean {
  return appOf(cmdline) !== undefined;
}

/** Which process of the stack this is (undefined: not ours, or not in `scope`). */
export function classifyProcess(info: ProcessInfo, scope?: ProcessScope): string | undefined {
  const { cmdline, comm } = info;
  if (cmdline.includes('kafka.Kafka')) return 'kafka broker';
  const app = appOf(cmdline);
  if (app) {
    if (scope && !(info.environ ?? []).includes(`TOPIC_PREFIX=${scope.topicPrefix}`)) return undefined;
    return app;
  }
  if (comm === 'postgres') {
    // A backend's title is `postgres: [cluster: ]<user> <database> <client> <state>`; the
    // server and its background workers (checkpointer, walwriter, ...) serve every database.
    const backend = /^postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(cmdline.trim());
    if (scope && backend && backend[1] !== scope.database) return undefined;
    return 'postgresql';
  }
  if (comm.startsWith('redis-server')) return 'redis';
  return undefined;
}

export interface StackProcess {
  readonly pid: number;
  readonly kind: string;
  /** CPU seconds (user + system) used so far. */
  readonly cpuSeconds: number;
  /** The parent's pid (undefined: not read, as for the load generator itself). */
  readonly ppid?: number;
  /**
   * CPU seconds of its children that ended and were reaped (cutime + cstime): PostgreSQL's backends
   * end whenever a pool closes a connection, and their CPU then counts in the server's.
   */
  readonly reapedSeconds?: number;
  /**
   * A PostgreSQL backend of another database: never counted, but sampled so that, when it ends, what
   * it had used before can be taken out of the server's reapedSeconds again. What it uses after the
   * first sample, if it ends before the last, cannot be told apart from the server's own.
   */
  readonly outOfScope?: true;
  /** Times its threads blocked and were woken again (voluntary context switches), when read. */
  readonly wakeUps?: number;
}

/** A thread's voluntary context switches, from the text of /proc/<pid>/task/<tid>/status. */
export function voluntarySwitches(status: string): number {
  return Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? 0);
}

/**
 * How often the threads of a process have blocked and been woken again so far: at everyday rates
 * each wake-up costs a process on this machine 200-300 µs of CPU however little it then does
 * (docs/status.md, session 17), so wake-ups per message say where the CPU goes.
 */
export function processWakeUps(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += voluntarySwitches(readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8'));
    } catch {
      // The thread ended while we looked (its count goes with it): the process is still sampled.
    }
  }
  return total;
}

/** A process's parent, CPU seconds and its reaped children's, from the text of /proc/<pid>/stat. */
export function statTimes(stat: string): { ppid: number; cpuSeconds: number; reapedSeconds: number } {
  const ticksPerSecond = 100; // USER_HZ on Linux
  // Fields after "(comm) " (a name may hold spaces and parentheses): state is field 3 overall, ppid
  // 4; utime and stime are 14 and 15, cutime and cstime 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(fields[1]),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond,
    reapedSeconds: (Number(fields[13]) + Number(fields[14])) / ticksPerSecond,
  };
}

/** One process as /proc has it now: its CPU, its parent, and how often it was woken. */
export function processSample(
  pid: number,
  kind: string,
  stat = readFileSync(`/proc/${pid}/stat`, 'utf8'),
): StackProcess {
  return { pid, kind, ...statTimes(stat), wakeUps: processWakeUps(pid) };
}

/** The processes of the stack now running (optionally only those of `scope`), from /proc. */
export function stackProcesses(scope?: ProcessScope): StackProcess[] {
  const found: StackProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const environ =
        scope && isApp(cmdline) ? readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0') : undefined;
      const classified = classifyProcess({ cmdline, comm, ...(environ ? { environ } : {}) }, scope);
      const outOfScope = classified === undefined && comm === 'postgres';
      const kind = outOfScope ? 'postgresql' : classified;
      if (!kind) continue;
      // Another database's backend is sampled for its CPU only (see outOfScope).
      found.push(
        outOfScope
          ? { pid: Number(entry), kind, ...statTimes(stat), outOfScope }
          : processSample(Number(entry), kind, stat),
      );
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return found;
}

/** CPU seconds (user + system) used so far by each kind of process of the stack, from /proc. */
export function cpuSecondsByProcess(
  extra: Readonly<Record<string, number>> = {},
  scope?: ProcessScope,
): Map<string, number> {
  const totals = new Map<string, number>();
  for (const { kind, cpuSeconds, outOfScope } of stackProcesses(scope))
    if (!outOfScope) totals.set(kind, (totals.get(kind) ?? 0) + cpuSeconds);
  for (const [kind, seconds] of Object.entries(extra)) totals.set(kind, seconds);
  return totals;
}
