import type { Pool } from 'pg';
import type { EventSerde, ParleyEvent } from '@parley/events';
import {
  ConsumerRunner,
  type BatchingProducer,
  type ConsumerProgress,
  type Decoded,
  type FetchBatching,
  type Instrument,
  type KafkaClient,
} from '@parley/kafka';
import type { Logger } from '@parley/logging';
import { prefixedTopic } from '@parley/topics';
import { applyEntries } from './apply-entries';
import type { Projection } from './projection';

export interface ProjectionRunnerOptions<Returned = unknown> {
  readonly kafka: KafkaClient;
  readonly pool: Pool;
  readonly serde: EventSerde;
  readonly deadLetters: BatchingProducer;
  readonly projection: Projection<Returned>;
  readonly topicPrefix: string;
  /** Defaults to `<topic prefix>parley.projection.<name>`, so environments sharing a cluster stay apart. */
  readonly groupId?: string;
  /** Fetch batching for a projection whose output may lag (see ConsumerRunnerOptions.fetch). */
  readonly fetch?: FetchBatching;
  readonly logger?: Logger;
  readonly instrument?: Instrument;
  /**
   * Partitions applied at once, each in its own transaction (default 1). Only for projections whose
   * concurrent transactions are safe: row locks order what two partitions share.
   */
  readonly partitionsConcurrently?: number;
  /**
   * Called after each chunk's transaction committed, with the rows its statements returned (for
   * example `RETURNING` of inserted rows) as the projection's `returned` reads them: to tell others
   * about what is now durable.
   */
  readonly onCommitted?: (rows: readonly Returned[]) => void;
}

/**
 * Runs one projection. Each chunk of records of a partition is applied in one PostgreSQL
 * transaction together with the projection's position in that partition; the position row is locked
 * first, so two instances overlapping during a rebalance serialise, and records below the stored
 * position (delivered again after a crash, or read again by another group) change nothing. Kafka's
 * committed offsets, written after the transaction, only say where to resume reading.
 */
export class ProjectionRunner<Returned = unknown> {
  private readonly consumer: ConsumerRunner<ParleyEvent>;

  constructor(private readonly options: ProjectionRunnerOptions<Returned>) {
    const { projection } = options;
    if (options.onCommitted && !projection.returned)
      throw new Error(`onCommitted needs projection ${projection.name} to read its returned rows (returned)`);
    this.consumer = new ConsumerRunner<ParleyEvent>(options.kafka, {
      groupId: options.groupId ?? `${options.topicPrefix}parley.projection.${projection.name}`,
      topics: projection.topics.map((t) => prefixedTopic(options.topicPrefix, t)),
      decode: (record) => options.serde.decode(record.value ?? Buffer.alloc(0)),
      handle: (items) => this.applyChunk(items),
      correlate: (event) => ({
        eventId: event.eventId,
        type: event.type,
        ...('messageId' in event ? { messageId: event.messageId } : {}),
      }),
      deadLetters: options.deadLetters,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.partitionsConcurrently
        ? { partitionsConsumedConcurrently: options.partitionsConcurrently }
        : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.instrument ? { instrument: options.instrument } : {}),
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  /** Its consumer's state and progress (for the service's readiness). */
  progress(): ConsumerProgress {
    return this.consumer.progress();
  }

  private async applyChunk(items: readonly Decoded<ParleyEvent>[]): Promise<void> {
    if (items.length === 0) return;
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      const returned = await applyEntries(
        client,
        this.options.projection,
        items.map(({ record, value }) => ({
          event: value,
          position: { topic: record.topic, partition: record.partition, offset: record.offset },
        })),
      );
      await client.query('COMMIT');
      if (returned.length > 0 && this.options.onCommitted) {
        try {
          const read = this.options.projection.returned as (row: Record<string, unknown>) => Returned;
          this.options.onCommitted(returned.map(read));
        } catch (error) {
          // Committed is committed: a failing listener must not make the chunk run again.
          this.options.logger?.warn(
            { err: error, projection: this.options.projection.name },
            'onCommitted listener failed',
          );
        }
      }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
