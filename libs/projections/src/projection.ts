import type { ParleyEvent } from '@parley/events';
import type { TopicName } from '@parley/topics';

/** One SQL statement with its parameters: data, so projections stay pure and testable without a database. */
export interface SqlStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** Where an event sits in the log; `offset` doubles as the message `seq` on chat.messages. */
export interface EventPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * A read model: the topics it reads and a pure function from one event to the row changes it makes.
 * The shared ProjectionRunner executes the statements and the position in one transaction.
 * Statements should be idempotent anyway (upserts keyed by ids), as a second line of defence.
 */
export interface Projection<Returned = unknown> {
  readonly name: string;
  readonly topics: readonly TopicName[];
  /**
   * The tables this projection alone writes: a rebuild replaces them and a verify compares them.
   * Nothing outside the projection may write them, and no row may depend on anything but the events
   * (no `now()`, serials or foreign keys), or a rebuild could not reproduce them.
   */
  readonly tables: readonly string[];
  /**
   * Tables the projection writes that others write too (claims the gateway takes before producing):
   * a rebuild never replaces or compares them, and discards what it writes to them, so a projection
   * must not read them.
   */
  readonly sideTables?: readonly string[];
  apply(event: ParleyEvent, position: EventPosition): readonly SqlStatement[];
  /**
   * Optional: the row changes of a whole chunk of one partition's events (in log order) at once,
   * as few set-based statements. Must end in the same state as `apply` on each event in turn.
   */
  applyChunk?(entries: readonly { event: ParleyEvent; position: EventPosition }[]): readonly SqlStatement[];
  /**
   * Optional: `applyChunk` is also right for the events of several partitions at once (each
   * partition's in log order, one after another), because its rules only ever order events of one
   * key that shares a partition (a conversation's) and its statements lock rows in one order of
   * their own (ids), whatever the order of the entries. Then a runner whose output may lag applies
   * a whole fetch in one transaction (ProjectionRunner, ChunkGatherer).
   */
  readonly chunksSpanPartitions?: boolean;
  /**
   * Optional: reads one row that the statements returned (`RETURNING …`) into what the projection
   * reports after commit (ProjectionRunner's `onCommitted`). Rows are `unknown` until read here.
   */
  readonly returned?: (row: Readonly<Record<string, unknown>>) => Returned;
}

export const sql = (text: string, ...values: unknown[]): SqlStatement => ({ text, values });
