import type { Pool, PoolClient } from 'pg';
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
import { applyEntries, type PositionedEvent } from './apply-entries';
import { ChunkGatherer } from './chunk-gatherer';
import { applyChunksInOneRoundTrip, applyInOneRoundTrip } from './pipelined-apply';
import type { Projection } from './projection';
import { changesRows, QuietPositions } from './quiet-positions';

/** How often the positions reached by chunks that changed nothing are written (one statement). */
const QUIET_POSITIONS_EVERY_MS = 1_000;
/**
 * Partitions handed over at once when a fetch is applied in one transaction: kafkajs gives the
 * partitions of a fetch beyond this to the workers one after another, so it should be at least the
 * partitions of the topics read (chat.messages has 12).
 */
const GATHERED_PARTITIONS = 64;

/** A chunk of one partition, with where it ends. */
interface PartitionChunk {
  readonly entries: readonly PositionedEvent[];
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: bigint;
}

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
   * A projection whose output may lag (`fetch` set) and whose chunks may span partitions
   * (`chunksSpanPartitions`) applies the partitions of a fetch in one transaction, one transaction
   * at a time (ChunkGatherer), unless this is false.
   */
  readonly gatherPartitions?: boolean;
  /**
   * Called after each chunk's transaction committed, with the rows its statements returned (for
   * example `RETURNING` of inserted rows) as the projection's `returned` reads them: to tell others
   * about what is now durable.
   */
  readonly onCommitted?: (rows: readonly Returned[]) => void;
  /**
   * Called after each chunk was applied (committed, or passed over as changing nothing) with its
   * decoded records, before the partition's next chunk: for work that follows the same records
   * without writing to the projection (the delivery worker's live notices), so that they cost no
   * fetch and no decode of their own. Its failure is logged; the chunk is not applied again.
   */
  readonly afterChunk?: (items: readonly Decoded<ParleyEvent>[]) => Promise<void> | void;
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
  private readonly quiet = new QuietPositions();
  private quietTimer: NodeJS.Timeout | undefined;
  private writingQuiet: Promise<void> = Promise.resolve();
  private readonly gatherer: ChunkGatherer<PartitionChunk> | undefined;

  constructor(private readonly options: ProjectionRunnerOptions<Returned>) {
    const { projection } = options;
    if (options.onCommitted && !projection.returned)
      throw new Error(`onCommitted needs projection ${projection.name} to read its returned rows (returned)`);
    // At everyday rates a lagging projection's fetch holds a record or two on each of several
    // partitions: one transaction for all of them instead of one each (docs/decisions.md, session 18).
    const gathering =
      options.gatherPartitions !== false &&
      options.fetch !== undefined &&
      projection.chunksSpanPartitions === true &&
      projection.applyChunk !== undefined;
    this.gatherer = gathering
      ? new ChunkGatherer<PartitionChunk>(
          (chunks) => this.applyTogether(chunks),
          (chunk) => this.applyInTransaction(chunk),
          (error, chunks) =>
            options.logger?.warn(
              {
                err: error,
                projection: projection.name,
                partitions: chunks.map((c) => `${c.topic}/${c.partition}`),
              },
              "a fetch's partitions failed together; applying each on its own",
            ),
        )
      : undefined;
    const partitionsConcurrently =
      options.partitionsConcurrently ?? (gathering ? GATHERED_PARTITIONS : undefined);
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
      ...(partitionsConcurrently ? { partitionsConsumedConcurrently: partitionsConcurrently } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.instrument ? { instrument: options.instrument } : {}),
    });
  }

  start(): Promise<void> {
    this.quietTimer ??= setInterval(() => void this.writeQuietPositions(), QUIET_POSITIONS_EVERY_MS);
    this.quietTimer.unref();
    return this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    clearInterval(this.quietTimer);
    await this.writeQuietPositions();
  }

  /** Its consumer's state and progress (for the service's readiness). */
  progress(): ConsumerProgress {
    return this.consumer.progress();
  }

  /**
   * Writes the positions passed by chunks that changed nothing, in one statement. They only ever move
   * forward; a failure keeps them for the next time (reading those records again changes nothing).
   */
  private writeQuietPositions(): Promise<void> {
    this.writingQuiet = this.writingQuiet.then(async () => {
      const positions = this.quiet.take();
      if (positions.length === 0) return;
      try {
        await this.options.pool.query({
          name: 'consumer_positions_quiet',
          text: `INSERT INTO consumer_positions (projection, topic, partition, next_offset)
                 SELECT $1, t, p, o FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS x(t, p, o)
                  ORDER BY t COLLATE "C", p
                 ON CONFLICT (projection, topic, partition) DO UPDATE
                   SET next_offset = GREATEST(consumer_positions.next_offset, EXCLUDED.next_offset), updated_at = now()
                   WHERE consumer_positions.next_offset < EXCLUDED.next_offset`,
          values: [
            this.options.projection.name,
            positions.map((p) => p.topic),
            positions.map((p) => p.partition),
            positions.map((p) => String(p.nextOffset)),
          ],
        });
      } catch (error) {
        for (const p of positions) this.quiet.passed(p.topic, p.partition, p.nextOffset);
        this.options.logger?.debug(
          { err: error, projection: this.options.projection.name },
          'quiet positions not written yet',
        );
      }
    });
    return this.writingQuiet;
  }

  private async applyChunk(items: readonly Decoded<ParleyEvent>[]): Promise<void> {
    const last = items[items.length - 1];
    if (!last) return;
    const entries = items.map(({ record, value }) => ({
      event: value,
      position: { topic: record.topic, partition: record.partition, offset: record.offset },
    }));
    const { topic, partition } = last.record;
    const nextOffset = BigInt(last.record.offset) + 1n;
    // At everyday rates most chunks are one record the projection ignores: no transaction for those.
    if (!changesRows(this.options.projection, entries)) {
      this.quiet.passed(topic, partition, nextOffset);
    } else if (this.gatherer) await this.gatherer.add({ entries, topic, partition, nextOffset });
    else await this.applyInTransaction({ entries, topic, partition, nextOffset });
    if (this.options.afterChunk) {
      try {
        await this.options.afterChunk(items);
      } catch (error) {
        this.options.logger?.warn(
          { err: error, projection: this.options.projection.name },
          'afterChunk listener failed',
        );
      }
    }
  }

  /**
   * The chunks of several partitions in one transaction and one round trip (a pipelined pool), in
   * partition order, bytewise (so that it and the quiet positions' write, or a rebuild's hold, lock
   * position rows in one order). False when nothing was committed: no pipelined pool, or a chunk
   * read again (the gatherer then applies each on its own, the careful way).
   */
  private applyTogether(chunks: readonly PartitionChunk[]): Promise<boolean> {
    return this.onConnection(async (client) => {
      if (!client.pipeline) return false;
      const ordered = [...chunks].sort((a, b) =>
        a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
      );
      const outcome = await applyChunksInOneRoundTrip(
        client,
        this.options.projection,
        ordered.map((chunk) => chunk.entries),
      );
      if (!outcome.committed) return false;
      for (const chunk of chunks) this.quiet.written(chunk.topic, chunk.partition, chunk.nextOffset);
      this.committed(outcome.returned);
      return true;
    });
  }

  /** Runs `work` on one connection of the pool; a failure rolls back whatever it left open. */
  private async onConnection<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.options.pool.connect();
    try {
      return await work(client);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Tells `onCommitted` what a committed transaction returned; its failure is only logged. */
  private committed(returned: readonly Record<string, unknown>[]): void {
    if (returned.length === 0 || !this.options.onCommitted) return;
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

  private applyInTransaction({ entries, topic, partition, nextOffset }: PartitionChunk): Promise<void> {
    return this.onConnection(async (client) => {
      // The usual case in one round trip (on a pipelined pool); records applied before, a partition's
      // first chunk, or a pool without pipeline mode, the careful way (lock the position, skip what
      // is below it), one statement after another.
      const outcome = client.pipeline
        ? await applyInOneRoundTrip(client, this.options.projection, entries)
        : ({ committed: false } as const);
      let returned: Record<string, unknown>[];
      if (outcome.committed) returned = outcome.returned;
      else {
        await client.query('BEGIN');
        returned = await applyEntries(client, this.options.projection, entries);
        await client.query('COMMIT');
      }
      this.quiet.written(topic, partition, nextOffset);
      this.committed(returned);
    });
  }
}
