import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
import {
  PROFILES,
  TOPIC_CATALOGUE,
  desiredConfigs,
  prefixedTopic,
  topicDrift,
  type TopicDrift,
  type TopicProfile,
  type TopicSpec,
} from '@parley/topics';
import { backoffDelay, classifyError } from './retry-policy';

export interface ProvisionOptions {
  readonly prefix: string;
  readonly profile: TopicProfile;
  readonly catalogue?: readonly TopicSpec[];
}

export interface ProvisionReport {
  readonly created: readonly string[];
  readonly existing: readonly string[];
  /** Settings that differ from the catalogue on topics that already existed; never changed silently. */
  readonly drift: readonly TopicDrift[];
}

export interface PartitionOffsets {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

export interface CatalogueTopicReport {
  readonly spec: TopicSpec;
  readonly name: string;
  readonly present: boolean;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Records held now (end - start offsets, summed over partitions). */
  readonly records: number;
  readonly drift: readonly TopicDrift[];
}

export interface GroupSummary {
  readonly groupId: string;
  readonly state: string;
  readonly members: number;
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Cluster administration in Parley's terms (topics from the catalogue, offsets, cluster health). */
export class KafkaAdmin {
  private readonly admin: Admin;

  constructor(kafka: Kafka) {
    this.admin = kafka.admin();
  }

  connect(): Promise<void> {
    return this.admin.connect();
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }

  async brokerCount(): Promise<number> {
    return (await this.admin.describeCluster()).brokers.length;
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  /** Creates every missing catalogue topic with its settings, and reports drift on the others. */
  async provisionTopics(options: ProvisionOptions): Promise<ProvisionReport> {
    const catalogue = options.catalogue ?? TOPIC_CATALOGUE;
    const present = new Set(await this.admin.listTopics());
    const wanted = catalogue.map((spec) => ({ spec, name: prefixedTopic(options.prefix, spec.name) }));
    const missing = wanted.filter((t) => !present.has(t.name));
    const existing = wanted.filter((t) => present.has(t.name));
    if (missing.length > 0) {
      // Returns false when another provisioner created some in between; that is fine.
      await this.retrying(() =>
        this.admin.createTopics({
          waitForLeaders: true,
          topics: missing.map(({ spec, name }) => ({
            topic: name,
            numPartitions: spec.partitions,
            replicationFactor: PROFILES[options.profile].replicationFactor,
            configEntries: Object.entries(desiredConfigs(spec, options.profile)).map(([n, value]) => ({
              name: n,
              value,
            })),
          })),
        }),
      );
      // Metadata says a leader exists before that leader serves the partition (KRaft propagation):
      // wait until every new topic answers, so callers can use it at once.
      for (const { name } of missing) await this.topicOffsets(name);
    }
    const drift = existing.length === 0 ? [] : await this.driftOf(existing, options.profile);
    return { created: missing.map((t) => t.name), existing: existing.map((t) => t.name), drift };
  }

  private async driftOf(
    topics: readonly { spec: TopicSpec; name: string }[],
    profile: TopicProfile,
  ): Promise<TopicDrift[]> {
    const metadata = await this.admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    const configs = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: t.name,
        configNames: Object.keys(desiredConfigs(t.spec, profile)),
      })),
    });
    return topics.flatMap(({ spec, name }) => {
      const topicMeta = metadata.topics.find((m) => m.name === name);
      const resource = configs.resources.find((r) => r.resourceName === name);
      return topicDrift(spec, profile, name, {
        partitions: topicMeta?.partitions.length ?? 0,
        replicationFactor: topicMeta?.partitions[0]?.replicas.length ?? 0,
        configs: Object.fromEntries(
          (resource?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
        ),
      });
    });
  }

  /** Each catalogue topic next to what the cluster has: presence, partitions, records held, drift. */
  async catalogueReport(prefix: string, profile: TopicProfile): Promise<CatalogueTopicReport[]> {
    const present = new Set(await this.admin.listTopics());
    const wanted = TOPIC_CATALOGUE.map((spec) => ({ spec, name: prefixedTopic(prefix, spec.name) }));
    const existing = wanted.filter((t) => present.has(t.name));
    const drift = existing.length === 0 ? [] : await this.driftOf(existing, profile);
    const metadata =
      existing.length === 0
        ? { topics: [] }
        : await this.admin.fetchTopicMetadata({ topics: existing.map((t) => t.name) });
    const reports: CatalogueTopicReport[] = [];
    for (const { spec, name } of wanted) {
      const meta = metadata.topics.find((m) => m.name === name);
      const offsets = present.has(name) ? await this.topicOffsets(name) : [];
      reports.push({
        spec,
        name,
        present: present.has(name),
        partitions: meta?.partitions.length ?? 0,
        replicationFactor: meta?.partitions[0]?.replicas.length ?? 0,
        records: offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0),
        drift: drift.filter((d) => d.topic === name),
      });
    }
    return reports;
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length > 0) await this.admin.deleteTopics({ topics: [...topics] });
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.retrying(() => this.admin.fetchTopicOffsets(topic));
    return offsets
      .map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Committed offsets of a consumer group for one topic (-1 where nothing is committed). */
  async groupOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
    const [entry] = await this.retrying(() => this.admin.fetchOffsets({ groupId, topics: [topic] }));
    return (entry?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset }));
  }

  /** Consumer groups whose id starts with `prefix`, with their state ("Stable", "Empty", ...). */
  async listGroups(prefix = ''): Promise<GroupSummary[]> {
    const { groups } = await this.retrying(() => this.admin.listGroups());
    const ids = groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
    if (ids.length === 0) return [];
    const described = await this.retrying(() => this.admin.describeGroups(ids));
    return described.groups
      .map((g) => ({ groupId: g.groupId, state: g.state, members: g.members.length }))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  /** Every offset the group has committed, on every topic it consumed (-1 where nothing is). */
  async committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    const topics = await this.retrying(() => this.admin.fetchOffsets({ groupId }));
    return topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })),
    );
  }

  /** Per partition, the first offset whose record is at or after `timestamp` (ms); the end if none. */
  async offsetsAtTime(topic: string, timestamp: number): Promise<{ partition: number; offset: string }[]> {
    const offsets = await this.retrying(() => this.admin.fetchTopicOffsetsByTimestamp(topic, timestamp));
    return offsets.map((o) => ({ partition: o.partition, offset: o.offset }));
  }

  /** Deletes a group that has no members (a node's own group, when the node stops). */
  async deleteGroup(groupId: string): Promise<void> {
    await this.admin.deleteGroups([groupId]);
  }

  /** Moves a group's committed offsets; Kafka refuses while the group has members. */
  async setGroupOffsets(
    groupId: string,
    topic: string,
    partitions: readonly { partition: number; offset: string }[],
  ): Promise<void> {
    await this.admin.setOffsets({ groupId, topic, partitions: [...partitions] });
  }

  /** Retries what kafkajs marks retriable (leader moves, coordinator loading) for up to ~15 s. */
  private async retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (attempt >= 30 || classifyError(error) !== 'transient') throw error;
        await new Promise((resolve) =>
          setTimeout(resolve, backoffDelay(attempt, { initialMs: 50, maxMs: 1_000 })),
        );
      }
    }
  }
}
