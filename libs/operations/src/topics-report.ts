import type { KafkaAdmin } from '@parley/kafka';
import type { TopicProfile } from '@parley/topics';

/** One line of `topics describe`: what the catalogue wants next to what the cluster has. */
export interface TopicRow {
  readonly topic: string;
  readonly state: 'ok' | 'missing' | 'drift';
  readonly partitions: string;
  readonly replication: number;
  readonly cleanup: string;
  readonly retention: string;
  readonly records: number;
  readonly notes: string;
}

export async function describeTopics(
  admin: KafkaAdmin,
  prefix: string,
  profile: TopicProfile,
): Promise<TopicRow[]> {
  const reports = await admin.catalogueReport(prefix, profile);
  return reports.map((r) => ({
    topic: r.name,
    state: !r.present ? 'missing' : r.drift.length > 0 || r.partitions !== r.spec.partitions ? 'drift' : 'ok',
    partitions: r.present ? `${r.partitions}/${r.spec.partitions}` : `-/${r.spec.partitions}`,
    replication: r.replicationFactor,
    cleanup: r.spec.cleanupPolicy,
    retention: r.spec.retentionMs < 0 ? 'forever' : `${Math.round(r.spec.retentionMs / 86_400_000)}d`,
    records: r.records,
    notes: !r.present
      ? 'not on the cluster: npm start creates it'
      : [
          ...(r.partitions !== r.spec.partitions
            ? [`partitions ${r.partitions}, catalogue ${r.spec.partitions}`]
            : []),
          ...r.drift.map((d) => `${d.setting} ${d.actual}, catalogue ${d.expected}`),
        ].join('; ') || r.spec.purpose,
  }));
}
