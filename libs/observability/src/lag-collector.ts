import type { Pool } from 'pg';
import type { KafkaAdmin, PartitionOffsets } from '@parley/kafka';
import { TOPIC_CATALOGUE, prefixedTopic } from '@parley/topics';
import type { ServiceMetrics } from './service-metrics';

export interface LagSources {
  readonly admin: KafkaAdmin;
  /** Where the projections keep their positions; without it, no projection lag. */
  readonly pool?: Pool;
  readonly topicPrefix: string;
}

/** One partition's lag: how many records lie between a position and the partition's end. */
export function lagOf(end: PartitionOffsets | undefined, position: string): number {
  if (!end) return 0;
  // -1: the group never committed here; everything still in the log is ahead of it.
  const from = BigInt(position) < 0n ? BigInt(end.low) : BigInt(position);
  const lag = BigInt(end.high) - from;
  return lag > 0n ? Number(lag) : 0;
}

/**
 * Lag, computed when scraped and cached briefly: every Parley consumer group of this environment
 * (committed offsets against end offsets, so a stopped worker's growing lag shows on the services
 * still running), every projection (PostgreSQL positions against end offsets), and the records
 * held in each dead-letter topic.
 */
export class LagCollector {
  private refreshed = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly metrics: ServiceMetrics,
    private readonly sources: LagSources,
    private readonly cacheMs = 1_000,
  ) {}

  /** Brings the gauges up to date, at most once per `cacheMs`; failures leave them as they were. */
  async refresh(): Promise<void> {
    if (Date.now() - this.refreshed < this.cacheMs) return;
    this.refreshing ??= this.collect().finally(() => {
      this.refreshed = Date.now();
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  private async collect(): Promise<void> {
    const { admin, pool, topicPrefix } = this.sources;
    const ends = new Map<string, PartitionOffsets[]>();
    const present = new Set(await admin.listTopics());
    for (const spec of TOPIC_CATALOGUE) {
      const topic = prefixedTopic(topicPrefix, spec.name);
      if (present.has(topic)) ends.set(topic, await admin.topicOffsets(topic));
    }
    const endOf = (topic: string, partition: number) =>
      ends.get(topic)?.find((p) => p.partition === partition);

    const groups = await admin.listGroups(`${topicPrefix}parley.`);
    const consumer: [string, string, number, number][] = [];
    for (const { groupId } of groups)
      for (const c of await admin.committedOffsets(groupId))
        if (ends.has(c.topic))
          consumer.push([groupId, c.topic, c.partition, lagOf(endOf(c.topic, c.partition), c.offset)]);

    const projection: [string, string, number, number][] = [];
    if (pool) {
      const { rows } = await pool.query<{
        projection: string;
        topic: string;
        partition: number;
        next_offset: string;
      }>('SELECT projection, topic, partition, next_offset FROM consumer_positions');
      for (const row of rows)
        if (ends.has(row.topic))
          projection.push([
            row.projection,
            row.topic,
            row.partition,
            lagOf(endOf(row.topic, row.partition), row.next_offset),
          ]);
    }

    // Replaced as a whole, so groups and projections that went away drop out.
    this.metrics.consumerLag.reset();
    for (const [group, topic, partition, lag] of consumer)
      this.metrics.consumerLag.set({ group, topic, partition: String(partition) }, lag);
    this.metrics.projectionLag.reset();
    for (const [name, topic, partition, lag] of projection)
      this.metrics.projectionLag.set({ projection: name, topic, partition: String(partition) }, lag);
    this.metrics.deadLettered.reset();
    for (const [topic, partitions] of ends)
      if (topic.endsWith('.dlq'))
        this.metrics.deadLettered.set(
          { topic },
          partitions.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0),
        );
  }
}
