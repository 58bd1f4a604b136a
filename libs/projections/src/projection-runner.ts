import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { EventSerde, ParleyEvent } from '@parley/events';
import {
  ConsumerRunner,
  type BatchingProducer,
  type Decoded,
  type Instrument,
  type KafkaClient,
} from '@parley/kafka';
import type { Logger } from '@parley/logging';
import { prefixedTopic } from '@parley/topics';
import type { Projection } from './projection';

export interface ProjectionRunnerOptions {
  readonly kafka: KafkaClient;
  readonly pool: Pool;
  readonly serde: EventSerde;
  readonly deadLetters: BatchingProducer;
  readonly projection: Projection;
  readonly topicPrefix: string;
  /** Defaults to `<topic prefix>parley.projection.<name>`, so environments sharing a cluster stay apart. */
  readonly groupId?: string;
  readonly logger?: Logger;
  readonly instrument?: Instrument;
  /**
   * Partitions applied at once, each in its own transaction (default 1). Only for projections whose
   * concurrent transactions are safe: row locks order what two partitions share.
   */
  readonly partitionsConcurrently?: number;
  /**
   * Called after each chunk's transaction committed, with the rows its statements returned (for
   * example `RETURNING` of inserted rows): to tell others about what is now durable.
   */
  readonly onCommitted?: (rows: readonly Record<string, unknown>[]) => void;
}

/**
 * Runs one projection. Each chunk of records of a partition is applied in one PostgreSQL
 * transaction together with the projection's position in that partition; the position row is locked
 * first, so two instances overlapping during a rebalance serialise, and records below the stored
 * position (delivered again after a crash, or read again by another group) change nothing. Kafka's
 * committed offsets, written after the transaction, only say where to resume reading.
 */
export class ProjectionRunner {
  private readonly consumer: ConsumerRunner<ParleyEvent>;

  constructor(private readonly options: ProjectionRunnerOptions) {
    const { projection } = options;
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

  private async applyChunk(items: readonly Decoded<ParleyEvent>[]): Promise<void> {
    const first = items[0];
    if (!first) return;
    const { topic, partition } = first.record;
    const name = this.options.projection.name;
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      const next = await lockPosition(client, name, topic, partition);
      const { projection } = this.options;
      const entries = items
        .filter(({ record }) => BigInt(record.offset) >= next)
        .map(({ record, value }) => ({
          event: value,
          position: { topic, partition, offset: record.offset },
        }));
      const lastEntry = entries[entries.length - 1];
      const last = lastEntry ? BigInt(lastEntry.position.offset) : undefined;
      const statements = projection.applyChunk
        ? projection.applyChunk(entries)
        : entries.flatMap(({ event, position }) => projection.apply(event, position));
      const returned: Record<string, unknown>[] = [];
      for (const statement of statements) {
        // Named, so PostgreSQL parses and plans each statement once per connection.
        const result = await client.query<Record<string, unknown>>({
          name: statementName(statement.text),
          text: statement.text,
          values: [...statement.values],
        });
        if (this.options.onCommitted) returned.push(...result.rows);
      }
      if (last !== undefined) {
        await client.query({
          name: 'consumer_positions_advance',
          text: `UPDATE consumer_positions SET next_offset = $4, updated_at = now()
                  WHERE projection = $1 AND topic = $2 AND partition = $3`,
          values: [name, topic, partition, String(last + 1n)],
        });
      }
      await client.query('COMMIT');
      if (returned.length > 0) {
        try {
          this.options.onCommitted?.(returned);
        } catch (error) {
          // Committed is committed: a failing listener must not make the chunk run again.
          this.options.logger?.warn({ err: error, projection: name }, 'onCommitted listener failed');
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

const statementNames = new Map<string, string>();

/** A stable name per distinct SQL text (projections build their SQL from a fixed set of templates). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `projection_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return name;
}

async function lockPosition(
  client: PoolClient,
  projection: string,
  topic: string,
  partition: number,
): Promise<bigint> {
  const select = {
    name: 'consumer_positions_lock',
    text: `SELECT next_offset FROM consumer_positions WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
    values: [projection, topic, partition],
  };
  let { rows } = await client.query<{ next_offset: string }>(select);
  if (rows.length === 0) {
    // The partition's first chunk: one round trip more, once.
    await client.query(
      `INSERT INTO consumer_positions (projection, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT DO NOTHING`,
      [projection, topic, partition],
    );
    ({ rows } = await client.query<{ next_offset: string }>(select));
  }
  return BigInt(rows[0]?.next_offset ?? '0');
}
