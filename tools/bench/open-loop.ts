// The pure parts of the end-to-end benchmark: the open-loop schedule, latency summaries, order
// checks and CPU per message. (The I/O around them is in e2e-bench.ts.)
import { percentile } from './latency';
import type { StackProcess } from './process-cpu';

/**
 * Open loop: send j (0, 1, 2, ...) is due `j / rate` seconds after the start, whatever happened to
 * the sends before it. Latency is measured from this scheduled moment, not from when the load
 * generator got round to it, so a stalled system is not hidden by a stalled generator
 * (coordinated omission).
 */
export function scheduledOffsetMs(index: number, ratePerSecond: number): number {
  return (index * 1000) / ratePerSecond;
}

/** How many of `total` sends are due `elapsedMs` after the start (send 0 is due at once). */
export function dueCount(elapsedMs: number, ratePerSecond: number, total: number): number {
  if (elapsedMs < 0) return 0;
  return Math.min(total, Math.floor((elapsedMs * ratePerSecond) / 1000 + 1e-9) + 1);
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** p50, p99, p99.9 and max of unsorted latencies (NaN when there are none). */
export function summarize(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length === 0 ? NaN : (sorted[sorted.length - 1] as number),
  };
}

/** How many items arrived after an item that was sent later (0: the order was kept). */
export function outOfOrder(sentIndexes: readonly number[]): number {
  let highest = -Infinity;
  let late = 0;
  for (const index of sentIndexes) {
    if (index < highest) late++;
    else highest = index;
  }
  return late;
}

/**
 * CPU seconds each kind of process used between two samples of /proc. Deltas are taken per
 * process, so one that ended in between (another stack's broker, say) takes nothing away, and one
 * that started in between (a restarted service) counts from zero.
 */
export function cpuUsedByKind(
  before: readonly StackProcess[],
  after: readonly StackProcess[],
): Map<string, number> {
  const key = (p: StackProcess) => `${p.kind}/${p.pid}`;
  const total = (p: StackProcess) => p.cpuSeconds + (p.reapedSeconds ?? 0);
  const earlier = new Map(before.map((p) => [key(p), total(p)]));
  const used = new Map<string, number>();
  const add = (kind: string, seconds: number) => used.set(kind, (used.get(kind) ?? 0) + seconds);
  for (const p of after) if (!p.outOfScope) add(p.kind, total(p) - (earlier.get(key(p)) ?? 0));
  // A process that ended and whose parent is still here and counts its reaped children (a
  // PostgreSQL backend, the server) was reaped: all its CPU is now in the parent's reapedSeconds,
  // of which only what it used since the first sample belongs to the window. Not so for an app the
  // load generator supervised: its own sample counts no children.
  const reaping = new Map(after.filter((p) => p.reapedSeconds !== undefined).map((p) => [p.pid, p.kind]));
  const alive = new Set(after.map((p) => p.pid));
  for (const p of before) {
    const parentKind = p.ppid === undefined ? undefined : reaping.get(p.ppid);
    if (!alive.has(p.pid) && parentKind !== undefined) add(parentKind, -total(p));
  }
  return used;
}

/**
 * Wake-ups (see processWakeUps) of each kind of process between two samples. A process that ended
 * in between is left out (its count ended with it), one that started counts from zero.
 */
export function wakeUpsByKind(
  before: readonly StackProcess[],
  after: readonly StackProcess[],
): Map<string, number> {
  const earlier = new Map(before.map((p) => [p.pid, p.wakeUps ?? 0]));
  const woken = new Map<string, number>();
  for (const p of after)
    if (p.wakeUps !== undefined)
      woken.set(p.kind, (woken.get(p.kind) ?? 0) + p.wakeUps - (earlier.get(p.pid) ?? 0));
  return woken;
}

/**
 * Per delivered message, for each process: what it used during the run minus what it uses idle
 * over the same time (`idlePerSecond` × `seconds`), divided by the messages.
 */
export function perMessageAboveIdle(
  used: ReadonlyMap<string, number>,
  idlePerSecond: ReadonlyMap<string, number>,
  seconds: number,
  delivered: number,
): Map<string, number> {
  const perMessage = new Map<string, number>();
  for (const [kind, amount] of used) {
    const aboveIdle = amount - (idlePerSecond.get(kind) ?? 0) * seconds;
    perMessage.set(kind, delivered > 0 ? aboveIdle / delivered : NaN);
  }
  return perMessage;
}

/** CPU microseconds per delivered message for each process, above idle (CPU seconds in `used`). */
export function cpuPerMessageUs(
  used: ReadonlyMap<string, number>,
  idlePerSecond: ReadonlyMap<string, number>,
  seconds: number,
  delivered: number,
): Map<string, number> {
  const perMessage = perMessageAboveIdle(used, idlePerSecond, seconds, delivered);
  for (const [kind, cpuSeconds] of perMessage) perMessage.set(kind, cpuSeconds * 1e6);
  return perMessage;
}
