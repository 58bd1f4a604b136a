/**
 * Latencies are counted in log-scale buckets per minute, so percentiles over any range are sums of
 * counts, never a scan of raw samples. Bucket b holds latencies in [BASE^b, BASE^(b+1)) ms; with a
 * base of 1.1 a percentile is off by at most 5% either way (it is reported as the bucket's middle).
 */
export const BUCKET_BASE = 1.1;

/** The bucket of a latency in milliseconds (below 1 ms counts as 1 ms; negative clock skew too). */
export function bucketOf(ms: number): number {
  return Math.floor(Math.log(Math.max(ms, 1)) / Math.log(BUCKET_BASE));
}

/** The same rule as SQL, for an expression giving milliseconds, so both sides count alike. */
export function bucketSql(msExpression: string): string {
  return `floor(ln(greatest(${msExpression}, 1)) / ln(${BUCKET_BASE}))::int`;
}

/** The value a bucket stands for: the geometric middle of its bounds, in milliseconds. */
export function bucketValue(bucket: number): number {
  return BUCKET_BASE ** (bucket + 0.5);
}

export interface LatencySummary {
  readonly count: number;
  /** Milliseconds, or null with no samples. */
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** Percentiles of bucketed counts (any order, a bucket may repeat): the nearest-rank rule. */
export function summarize(counts: readonly { bucket: number; count: number }[]): LatencySummary {
  const merged = new Map<number, number>();
  for (const { bucket, count } of counts) merged.set(bucket, (merged.get(bucket) ?? 0) + count);
  const sorted = [...merged].sort(([a], [b]) => a - b);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil(p * total));
    let seen = 0;
    for (const [bucket, n] of sorted) {
      seen += n;
      if (seen >= rank) return round(bucketValue(bucket));
    }
    return round(bucketValue(sorted[sorted.length - 1]![0]));
  };
  return { count: total, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
