import { readFileSync, readdirSync } from 'node:fs';

/** Which process of the stack a command line belongs to (undefined: not ours). */
export function classifyProcess(cmdline: string, comm: string): string | undefined {
  if (cmdline.includes('kafka.Kafka')) return 'kafka broker';
  // A service runs from its build (dist/apps/<name>/main.js) or, started by hand, from its source.
  for (const app of ['gateway', 'projector', 'delivery', 'analytics', 'schema-registry'])
    if (cmdline.includes(`apps/${app}/src/main.ts`) || cmdline.includes(`dist/apps/${app}/main.js`))
      return app;
  if (comm === 'postgres') return 'postgresql';
  if (comm.startsWith('redis-server')) return 'redis';
  return undefined;
}

/** CPU seconds (user + system) used so far by each kind of process of the stack, from /proc. */
export function cpuSecondsByProcess(extra: Readonly<Record<string, number>> = {}): Map<string, number> {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const totals = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const kind = classifyProcess(cmdline, comm);
      if (!kind) continue;
      // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      totals.set(kind, (totals.get(kind) ?? 0) + ticks / ticksPerSecond);
    } catch {
      // The process ended while we looked.
    }
  }
  for (const [kind, seconds] of Object.entries(extra)) totals.set(kind, seconds);
  return totals;
}
