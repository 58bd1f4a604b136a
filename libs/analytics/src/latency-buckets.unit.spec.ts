import { bucketOf, bucketValue, summarize } from './latency-buckets';

describe('latency buckets', () => {
  it('put a latency in a bucket whose middle is within 5% of it', () => {
    for (const ms of [1, 7, 42, 100, 999, 1_000, 12_345, 3_600_000]) {
      const value = bucketValue(bucketOf(ms));
      expect(Math.abs(value - ms) / ms).toBeLessThanOrEqual(0.05);
    }
  });

  it('count clock skew and sub-millisecond latencies as 1 ms', () => {
    expect(bucketOf(-50)).toBe(bucketOf(1));
    expect(bucketOf(0.2)).toBe(0);
  });

  it('take percentiles by nearest rank over merged counts', () => {
    // 100 samples: 90 at ~10 ms, 9 at ~100 ms, 1 at ~1 s.
    const summary = summarize([
      { bucket: bucketOf(10), count: 50 },
      { bucket: bucketOf(10), count: 40 },
      { bucket: bucketOf(100), count: 9 },
      { bucket: bucketOf(1_000), count: 1 },
    ]);
    expect(summary.count).toBe(100);
    const near = (value: number | null, ms: number) => Math.abs((value ?? 0) - ms) / ms <= 0.05;
    expect(near(summary.p50, 10)).toBe(true);
    expect(near(summary.p90, 10)).toBe(true);
    expect(near(summary.p99, 100)).toBe(true);
    expect(near(summary.max, 1_000)).toBe(true);
  });

  it('say nothing when there is nothing', () => {
    expect(summarize([])).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
  });
});
