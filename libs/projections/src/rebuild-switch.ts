import type { PoolClient } from 'pg';
import { partitionKey } from './shadow-applier';
import { ident, swapTables, tableChecksum, tableDifferences, type TableChecksum } from './shadow-tables';

export interface TableComparison {
  readonly table: string;
  readonly live: TableChecksum;
  readonly rebuilt: TableChecksum;
  readonly equal: boolean;
  /** The first rows only the live table has, and only the rebuilt one (PostgreSQL row text). */
  readonly onlyLive: readonly string[];
  readonly onlyRebuilt: readonly string[];
}

/** Live positions of a projection, by partition key; partitions with no row yet are 0. */
export async function livePositions(
  client: PoolClient,
  projection: string,
  topics: readonly string[],
  lock: boolean,
): Promise<Map<string, bigint>> {
  const { rows } = await client.query<{ topic: string; partition: number; next_offset: string }>(
    `SELECT topic, partition, next_offset FROM public.consumer_positions
      WHERE projection = $1 AND topic = ANY($2::text[])
      ${lock ? 'ORDER BY topic COLLATE "C", partition FOR UPDATE' : ''}`,
    [projection, topics],
  );
  return new Map(rows.map((r) => [partitionKey(r.topic, r.partition), BigInt(r.next_offset)]));
}

/**
 * The live projection held at the switch: its position rows locked in a transaction on the control
 * connection. The live runner locks its row before it writes, so it waits until the hold ends.
 */
export class LiveHold {
  private heldFrom: number | undefined;

  constructor(
    readonly control: PoolClient,
    private readonly projection: string,
    private readonly topics: readonly string[],
  ) {}

  /**
   * Holds the live projection on `partitions`; its positions come back, standing still until `end`.
   * Rows are locked in (topic, partition) order, bytewise, as a live runner applying several
   * partitions in one transaction locks them (ProjectionRunner), so the two cannot deadlock.
   */
  async take(partitions: readonly { topic: string; partition: number }[]): Promise<Map<string, bigint>> {
    await this.control.query('BEGIN');
    this.heldFrom = Date.now();
    // Rows for partitions the live projection has not reached yet, so that it waits on those too.
    await this.control.query(
      `INSERT INTO public.consumer_positions (projection, topic, partition, next_offset)
       SELECT $1, topic, partition, 0 FROM unnest($2::text[], $3::int[]) AS p(topic, partition)
        ORDER BY topic COLLATE "C", partition
       ON CONFLICT DO NOTHING`,
      [this.projection, partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
    );
    return livePositions(this.control, this.projection, this.topics, true);
  }

  /**
   * Lets the live projection go on, with (COMMIT) or without (ROLLBACK) what was written under the
   * hold; resolves with how long it was held.
   */
  async end(how: 'COMMIT' | 'ROLLBACK'): Promise<number> {
    if (this.heldFrom === undefined) throw new Error('the live projection is not held');
    await this.control.query(how);
    const heldMs = Date.now() - this.heldFrom;
    this.heldFrom = undefined;
    return heldMs;
  }

  /** After a failure: lets the live projection go on if it is still held. */
  async abandon(): Promise<void> {
    if (this.heldFrom !== undefined) await this.control.query('ROLLBACK').catch(() => undefined);
  }
}

/**
 * rebuild: the shadow tables replace the live ones (which go to `retired`) and the rebuilt positions
 * become the live ones, in the hold's one transaction, so readers see the old tables or the new ones.
 * Resolves with how long the live projection was held.
 */
export async function switchToRebuilt(
  hold: LiveHold,
  projection: string,
  tables: readonly string[],
  shadow: string,
  retired: string,
): Promise<number> {
  await swapTables(hold.control, tables, shadow, 'public', retired);
  await hold.control.query(
    `INSERT INTO public.consumer_positions (projection, topic, partition, next_offset)
     SELECT projection, topic, partition, next_offset FROM ${ident(shadow)}.consumer_positions WHERE projection = $1
     ON CONFLICT (projection, topic, partition) DO UPDATE
       SET next_offset = GREATEST(public.consumer_positions.next_offset, EXCLUDED.next_offset), updated_at = now()`,
    [projection],
  );
  return hold.end('COMMIT');
}

/**
 * verify: each shadow table next to the live one. A snapshot taken while the live projection is held
 * sees its tables at exactly the positions the rebuild stopped at; the hold then ends, and the
 * comparison runs on the snapshot while the live projection goes on.
 */
export async function compareWithLive(
  snapshot: PoolClient,
  hold: LiveHold,
  shadow: string,
  tables: readonly string[],
): Promise<{ heldMs: number; comparisons: TableComparison[] }> {
  await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  // The snapshot is taken by the transaction's first statement, not by BEGIN.
  await snapshot.query('SELECT 1');
  const heldMs = await hold.end('ROLLBACK');
  try {
    const comparisons: TableComparison[] = [];
    for (const table of tables) comparisons.push(await compareTable(snapshot, shadow, table));
    return { heldMs, comparisons };
  } finally {
    await snapshot.query('ROLLBACK');
  }
}

async function compareTable(client: PoolClient, shadow: string, table: string): Promise<TableComparison> {
  const live = await tableChecksum(client, 'public', table);
  const mine = await tableChecksum(client, shadow, table);
  const equal = live.md5 === mine.md5 && live.rows === mine.rows;
  const diff = equal
    ? { onlyLeft: [], onlyRight: [] }
    : await tableDifferences(client, 'public', shadow, table);
  return { table, live, rebuilt: mine, equal, onlyLive: diff.onlyLeft, onlyRebuilt: diff.onlyRight };
}
