import { PROFILES, type TopicProfile, type TopicSpec } from './topic-catalogue';

/** What the cluster reports for one topic, in the catalogue's terms. */
export interface ObservedTopic {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string | undefined>>;
}

export interface TopicDrift {
  readonly topic: string;
  readonly setting: string;
  readonly expected: string;
  readonly actual: string;
}

/** The topic-level configs that provisioning sets; compared as Kafka reports them (strings). */
export function desiredConfigs(spec: TopicSpec, profile: TopicProfile): Record<string, string> {
  return {
    'cleanup.policy': spec.cleanupPolicy,
    'retention.ms': String(spec.retentionMs),
    'min.insync.replicas': String(PROFILES[profile].minInsyncReplicas),
  };
}

/** Pure comparison of the catalogue's wish with what a cluster has; empty when they agree. */
export function topicDrift(
  spec: TopicSpec,
  profile: TopicProfile,
  physicalName: string,
  observed: ObservedTopic,
): TopicDrift[] {
  const drift: TopicDrift[] = [];
  const note = (setting: string, expected: string | number, actual: string | number | undefined) => {
    if (String(expected) !== String(actual)) {
      drift.push({
        topic: physicalName,
        setting,
        expected: String(expected),
        actual: String(actual ?? '(unset)'),
      });
    }
  };
  note('partitions', spec.partitions, observed.partitions);
  note('replication.factor', PROFILES[profile].replicationFactor, observed.replicationFactor);
  for (const [key, value] of Object.entries(desiredConfigs(spec, profile)))
    note(key, value, observed.configs[key]);
  return drift;
}
