export { analyticsProjection, LATENCY_KINDS, type LatencyKind } from './analytics-projection';
export { messagesPerMinute, latencySummary, activeUsers, type MinuteRange } from './analytics-queries';
export { bucketOf, bucketValue, summarize, BUCKET_BASE, type LatencySummary } from './latency-buckets';
export { parseRange, MAX_RANGE_MS } from './time-range';
export { pruneAnalytics, type PruneReport } from './analytics-retention';
