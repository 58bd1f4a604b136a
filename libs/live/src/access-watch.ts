import { randomUUID } from 'node:crypto';
import type { EventSerde, ParleyEvent } from '@parley/events';
import { ConsumerRunner, KafkaAdmin, type BatchingProducer, type KafkaClient } from '@parley/kafka';
import type { Logger } from '@parley/logging';
import { prefixedTopic, type TopicName } from '@parley/topics';
import { Revocations, type Revocation } from './revocations';

export interface AccessWatchOptions {
  readonly kafka: KafkaClient;
  readonly serde: EventSerde;
  readonly deadLetters: BatchingProducer;
  readonly topicPrefix: string;
  /** Carries out what the log decided, on this node's sessions. */
  readonly enforce: (revocation: Revocation) => void;
  /** How far back a node starts reading, so a change made while it started is not missed. */
  readonly lookBackMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

const TOPICS: readonly TopicName[] = ['chat.conversations', 'chat.users'];

/**
 * Every gateway node reads the membership and account changes straight from the log, with a
 * consumer group of its own, and ends what they revoke on its own sessions at once: no pub/sub
 * notice in between that could be missed. A node starts a little before "now" (its group's offsets
 * are set by time before it joins), so a change made while it started is seen too.
 */
export class AccessWatch {
  readonly revocations = new Revocations();
  private readonly consumer: ConsumerRunner<ParleyEvent>;
  private readonly groupId: string;
  private readonly now: () => number;

  constructor(private readonly options: AccessWatchOptions) {
    this.now = options.now ?? Date.now;
    // Not under `parley.`: the lag metrics list the environment's shared groups, not each node's own.
    this.groupId = `${options.topicPrefix}gateway-access.${randomUUID()}`;
    this.consumer = new ConsumerRunner<ParleyEvent>(options.kafka, {
      groupId: this.groupId,
      topics: TOPICS.map((topic) => prefixedTopic(options.topicPrefix, topic)),
      decode: (record) => options.serde.decode(record.value ?? Buffer.alloc(0)),
      handle: async (items) => {
        for (const { value } of items)
          for (const revocation of this.revocations.apply(value, this.now())) options.enforce(revocation);
      },
      deadLetters: options.deadLetters,
      fromBeginning: false,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  async start(): Promise<void> {
    const admin = new KafkaAdmin(this.options.kafka);
    await admin.connect();
    try {
      const since = this.now() - (this.options.lookBackMs ?? 60_000);
      for (const topic of TOPICS) {
        const name = prefixedTopic(this.options.topicPrefix, topic);
        await admin.setGroupOffsets(this.groupId, name, await admin.offsetsAtTime(name, since));
      }
    } finally {
      await admin.disconnect();
    }
    await this.consumer.start();
  }

  /** Stops reading and deletes the node's group (it is of no use to anyone else). */
  async stop(): Promise<void> {
    await this.consumer.stop();
    const admin = new KafkaAdmin(this.options.kafka);
    try {
      await admin.connect();
      await admin.deleteGroup(this.groupId);
    } catch (error) {
      this.options.logger?.warn({ err: error, group: this.groupId }, 'node group not deleted');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
