import {
  cpuPerMessageUs,
  cpuUsedByKind,
  dueCount,
  outOfOrder,
  perMessageAboveIdle,
  scheduledOffsetMs,
  summarize,
  wakeUpsByKind,
} from './open-loop';

describe('the open-loop schedule', () => {
  it('given 1,000 msgs/s, then send j is due j ms after the start, whatever happened before', () => {
    expect([0, 1, 999].map((j) => scheduledOffsetMs(j, 1_000))).toEqual([0, 1, 999]);
    expect(scheduledOffsetMs(5, 50)).toBe(100);
  });

  it('given a load generator on time, then one send is due per interval, the first at once', () => {
    expect(dueCount(0, 200, 1_000)).toBe(1);
    expect(dueCount(4.99, 200, 1_000)).toBe(1);
    expect(dueCount(5, 200, 1_000)).toBe(2);
    expect(dueCount(-1, 200, 1_000)).toBe(0);
  });

  it('given a load generator that fell behind, then every missed send is due at once (none skipped)', () => {
    expect(dueCount(100, 5_000, 10_000)).toBe(501);
  });

  it('given the run is over, then no more than the total is due', () => {
    expect(dueCount(60_000, 1_000, 2_000)).toBe(2_000);
  });

  it('given any rate, then at the scheduled moment of send j, send j is due (no rounding leaves it behind)', () => {
    for (const rate of [3, 7, 50, 200, 333, 1_000, 2_000, 4_999, 5_000])
      for (let j = 0; j < 20_000; j += 7) expect(dueCount(scheduledOffsetMs(j, rate), rate, 1e9)).toBe(j + 1);
  });
});

describe('summarize (latency percentiles)', () => {
  it('given 1,000 latencies in any order, then p50, p99, p99.9 and max are nearest-rank', () => {
    const latencies = Array.from({ length: 1_000 }, (_, i) => 1_000 - i);
    expect(summarize(latencies)).toEqual({ count: 1_000, p50: 500, p99: 990, p999: 999, max: 1_000 });
  });

  it('given no latencies, then every figure is NaN (printed as "-")', () => {
    expect(summarize([])).toEqual({ count: 0, p50: NaN, p99: NaN, p999: NaN, max: NaN });
  });

  it('does not reorder the caller’s array', () => {
    const latencies = [3, 1, 2];
    summarize(latencies);
    expect(latencies).toEqual([3, 1, 2]);
  });
});

describe('outOfOrder', () => {
  it('given items received in send order (with gaps), then none is out of order', () => {
    expect(outOfOrder([0, 1, 2, 5, 9])).toBe(0);
  });

  it('given an item overtaken by later ones, then each item received after a later one counts', () => {
    expect(outOfOrder([0, 2, 3, 1, 4])).toBe(1);
    expect(outOfOrder([3, 0, 1, 2])).toBe(3);
  });
});

describe('CPU per message', () => {
  const map = (entries: Record<string, number>) => new Map(Object.entries(entries));
  const proc = (kind: string, pid: number, cpuSeconds: number) => ({ kind, pid, cpuSeconds });

  it("given two samples, then each kind used the sum of its processes' deltas", () => {
    const before = [proc('postgresql', 1, 5), proc('postgresql', 2, 1), proc('gateway', 3, 10)];
    const after = [proc('postgresql', 1, 5.5), proc('postgresql', 2, 1.25), proc('gateway', 3, 12)];
    expect(cpuUsedByKind(before, after)).toEqual(map({ postgresql: 0.75, gateway: 2 }));
  });

  it('given a process that ended between the samples, then it takes nothing away from its kind', () => {
    const before = [proc('kafka broker', 1, 100), proc('kafka broker', 2, 1_000)];
    expect(cpuUsedByKind(before, [proc('kafka broker', 1, 101)])).toEqual(map({ 'kafka broker': 1 }));
  });

  it('given a backend that ended between the samples, then what it used since the first counts, through the server that reaped it', () => {
    // Given the server (pid 1) and two backends; backend 2 had used 0.5 s and ends after 0.2 s more,
    // and backend 4 starts and ends in between, using 0.1 s: the server reaped 0.8 s.
    const server = (cpuSeconds: number, reapedSeconds: number) => ({
      ...proc('postgresql', 1, cpuSeconds),
      ppid: 0,
      reapedSeconds,
    });
    const backend = (pid: number, cpuSeconds: number) => ({
      ...proc('postgresql', pid, cpuSeconds),
      ppid: 1,
    });
    const before = [server(1, 3), backend(2, 0.5), backend(3, 2)];
    const after = [server(1.25, 3.8), backend(3, 2.5)];
    // Then 0.25 (server) + 0.2 (backend 2) + 0.1 (backend 4) + 0.5 (backend 3)
    expect(cpuUsedByKind(before, after).get('postgresql')).toBeCloseTo(1.05, 10);
  });

  it('given a backend of another database that ended, then only what it used after the first sample counts, none of its past', () => {
    const server = (reapedSeconds: number) => ({ ...proc('postgresql', 1, 1), ppid: 0, reapedSeconds });
    const foreign = { ...proc('postgresql', 7, 30), ppid: 1, outOfScope: true as const };
    // It used 30 s before the first sample and 0.5 s more before it ended; a survivor of another
    // database (pid 8) used 2 s meanwhile.
    const before = [server(0), foreign, { ...proc('postgresql', 8, 1), ppid: 1, outOfScope: true as const }];
    const after = [server(30.5), { ...proc('postgresql', 8, 3), ppid: 1, outOfScope: true as const }];
    expect(cpuUsedByKind(before, after).get('postgresql')).toBeCloseTo(0.5, 10);
  });

  it('given an app the load generator supervised that was restarted, then its past is not taken away', () => {
    // The load generator samples itself without its children's CPU (process.cpuUsage).
    const loadGenerator = { ...proc('load generator', 50, 10) };
    const before = [loadGenerator, { ...proc('gateway', 51, 120), ppid: 50 }];
    const after = [
      { ...loadGenerator, cpuSeconds: 11 },
      { ...proc('gateway', 52, 4), ppid: 50 },
    ];
    expect(cpuUsedByKind(before, after)).toEqual(map({ 'load generator': 1, gateway: 4 }));
  });

  it('given a process that ended whose parent is not of the stack, then only the survivors count', () => {
    const before = [
      { ...proc('gateway', 5, 3), ppid: 99 },
      { ...proc('gateway', 6, 1), ppid: 99 },
    ];
    expect(cpuUsedByKind(before, [{ ...proc('gateway', 6, 1.5), ppid: 99 }])).toEqual(map({ gateway: 0.5 }));
  });

  it('given a process that started between the samples (a restart), then it counts from zero', () => {
    const after = [proc('gateway', 3, 10), proc('gateway', 4, 0.5)];
    expect(cpuUsedByKind([proc('gateway', 3, 9)], after)).toEqual(map({ gateway: 1.5 }));
  });

  it('given CPU used and idle rates, then µs per message is the use above idle over the messages', () => {
    const used = map({ gateway: 2, postgresql: 0.5 });
    const idle = map({ gateway: 0.01, postgresql: 0.005 });
    // 10 s: gateway 2 s - 0.1 s idle = 1.9 s over 1,000 messages; postgresql 0.5 - 0.05 = 0.45 s.
    const perMessage = cpuPerMessageUs(used, idle, 10, 1_000);
    expect(perMessage.get('gateway')).toBeCloseTo(1_900, 6);
    expect(perMessage.get('postgresql')).toBeCloseTo(450, 6);
  });

  it('given no message delivered, then the cost per message is unknown (NaN), not infinite', () => {
    expect(cpuPerMessageUs(map({ a: 1 }), map({}), 1, 0).get('a')).toBeNaN();
  });
});

describe('wake-ups per message', () => {
  const map = (entries: Record<string, number>) => new Map(Object.entries(entries));
  const proc = (kind: string, pid: number, wakeUps?: number) => ({
    kind,
    pid,
    cpuSeconds: 0,
    ...(wakeUps === undefined ? {} : { wakeUps }),
  });

  it("given two samples, then each kind woke the sum of its processes' deltas", () => {
    const before = [proc('postgresql', 1, 100), proc('postgresql', 2, 10), proc('gateway', 3, 1_000)];
    const after = [proc('postgresql', 1, 150), proc('postgresql', 2, 40), proc('gateway', 3, 1_500)];
    expect(wakeUpsByKind(before, after)).toEqual(map({ postgresql: 80, gateway: 500 }));
  });

  it('given a process that started between the samples, then it counts from zero; one that ended counts nothing', () => {
    const before = [proc('postgresql', 1, 100), proc('postgresql', 2, 5_000)];
    expect(wakeUpsByKind(before, [proc('postgresql', 1, 110), proc('postgresql', 3, 7)])).toEqual(
      map({ postgresql: 17 }),
    );
  });

  it('given a process whose wake-ups were not read (another database’s backend), then it counts nothing', () => {
    expect(wakeUpsByKind([proc('postgresql', 1)], [proc('postgresql', 1), proc('redis', 2, 4)])).toEqual(
      map({ redis: 4 }),
    );
  });

  it('given 30 s with 1,500 delivered and 10 a second idle, then each message woke the process (3,300 − 300) / 1,500 = 2 times', () => {
    expect(perMessageAboveIdle(map({ delivery: 3_300 }), map({ delivery: 10 }), 30, 1_500)).toEqual(
      map({ delivery: 2 }),
    );
  });
});
