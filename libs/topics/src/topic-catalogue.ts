/**
 * The one list of Parley's topics. Provisioning creates exactly these (nothing relies on
 * auto-creation, which races with KRaft metadata) and reports where a cluster differs.
 *
 * Partition counts are fixed at creation: Kafka orders per partition only, and every event of a
 * conversation shares its key, so repartitioning `chat.messages` would break per-conversation order.
 */
export type TopicProfile = 'local' | 'production';

export interface TopicSpec {
  readonly name: string;
  readonly key: string;
  readonly partitions: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** -1 keeps records forever: the source-of-truth topics are the event store. */
  readonly retentionMs: number;
  readonly purpose: string;
}

export interface ProfileSettings {
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const FOREVER = -1;

export const PROFILES: Readonly<Record<TopicProfile, ProfileSettings>> = {
  // One broker: nothing to replicate to.
  local: { replicationFactor: 1, minInsyncReplicas: 1 },
  // With acks=all, a write survives the loss of any one broker of three.
  production: { replicationFactor: 3, minInsyncReplicas: 2 },
};

const SOURCE_TOPICS: readonly TopicSpec[] = [
  {
    name: 'chat.messages',
    key: 'conversationId',
    partitions: 12,
    cleanupPolicy: 'delete',
    retentionMs: FOREVER,
    purpose:
      'MessageSent, MessageDelivered, MessageRead, MessageDeleted, MessageEdited, DeliveryPending, MessageFailed',
  },
  {
    name: 'chat.conversations',
    key: 'conversationId',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: FOREVER,
    purpose: 'ConversationCreated, MemberAdded, MemberRemoved',
  },
  {
    name: 'chat.presence',
    key: 'userId',
    partitions: 6,
    cleanupPolicy: 'delete',
    // Presence is live state; a week of history is plenty for analytics and replays.
    retentionMs: 7 * DAY_MS,
    purpose: 'PresenceChanged',
  },
  {
    name: 'chat.users',
    key: 'userId',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: FOREVER,
    purpose: 'UserRegistered, UserStatusChanged, IdentityLinked, IdentityUnlinked',
  },
  {
    // Password hashes stay off the topics analytics teams read; compaction keeps the latest per user.
    name: 'chat.credentials',
    key: 'userId',
    partitions: 6,
    cleanupPolicy: 'compact',
    retentionMs: FOREVER,
    purpose: 'CredentialsSet (restricted: not for analytics readers)',
  },
];

/** Dead-letter twins keep what could not be processed until somebody re-drives or inspects it. */
function deadLetterTwin(topic: TopicSpec): TopicSpec {
  return {
    name: `${topic.name}.dlq`,
    key: `${topic.key} (as on ${topic.name})`,
    partitions: 1,
    cleanupPolicy: 'delete',
    retentionMs: FOREVER,
    purpose: `records of ${topic.name} that a consumer could not process, with the reason in headers`,
  };
}

export const TOPIC_CATALOGUE: readonly TopicSpec[] = [...SOURCE_TOPICS, ...SOURCE_TOPICS.map(deadLetterTwin)];

export const TOPICS = {
  messages: 'chat.messages',
  conversations: 'chat.conversations',
  presence: 'chat.presence',
  users: 'chat.users',
  credentials: 'chat.credentials',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/** Topic names carry an optional prefix so that tests and environments can share one cluster. */
export function prefixedTopic(prefix: string, topic: string): string {
  return `${prefix}${topic}`;
}

export function findTopicSpec(name: string): TopicSpec | undefined {
  return TOPIC_CATALOGUE.find((t) => t.name === name);
}
