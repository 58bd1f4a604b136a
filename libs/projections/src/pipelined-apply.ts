import * as pg from 'pg';
import type { PoolClient, QueryResult } from 'pg';
import type { Projection } from './projection';
import { statementName, type PositionedEvent } from './apply-entries';

/** What `applyInOneRoundTrip` did: committed (with the rows the statements returned), or nothing. */
export type PipelinedOutcome =
  { readonly committed: true; readonly returned: Record<string, unknown>[] } | { readonly committed: false };

/**
 * Moves the position past the chunk only if it stood at or before the chunk's first record (so every
 * record of the chunk is new to the projection) and the row exists; otherwise fails with
 * division_by_zero, which aborts the transaction. The divisor is not a constant, so PostgreSQL cannot
 * fold it at plan time.
 */
const GUARDED_ADVANCE = `WITH previous AS (
    SELECT next_offset FROM consumer_positions
     WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE),
  advanced AS (
    UPDATE consumer_positions p
       SET next_offset = GREATEST(p.next_offset, $4::bigint), updated_at = now()
      FROM previous
     WHERE p.projection = $1 AND p.topic = $2 AND p.partition = $3 AND previous.next_offset <= $5::bigint
    RETURNING 1)
  SELECT 1 / (SELECT count(*)::int FROM advanced) AS advanced`;

const DIVISION_BY_ZERO = '22012';

/**
 * pg's own conversion of a parameter to what it sends (`utils.prepareValue`, not in its types). Done
 * before anything is written: a value pg failed to convert while binding would fail that one query
 * on the client alone, the server would see no error, and the COMMIT behind it would commit the
 * chunk without that statement.
 */
const { prepareValue } = (pg as unknown as { utils: { prepareValue: (value: unknown) => unknown } }).utils;

/**
 * Applies a chunk of one partition's events as BEGIN, the guarded position move, the projection's
 * statements and COMMIT, written at once on a connection in pipeline mode (`pg`'s `pipeline: true`):
 * one round trip instead of one per statement. (On any other connection pg queues them, a use it
 * deprecates: ProjectionRunner calls this only for pipelined connections.) At everyday rates every chunk is one record, so round
 * trips are most of what a projection costs PostgreSQL and the projection's process.
 *
 * If the position had moved past the chunk's start (records read again after a crash or a
 * rebalance) or the partition has no position row yet, nothing is committed and the answer is
 * `committed: false`: the caller applies the chunk the careful way (`applyEntries`), which skips
 * what was applied before. Any other failure rolls back (COMMIT of an aborted transaction is a
 * ROLLBACK) and is thrown.
 */
export function applyInOneRoundTrip(
  client: PoolClient,
  projection: Projection,
  entries: readonly PositionedEvent[],
): Promise<PipelinedOutcome> {
  return applyChunksInOneRoundTrip(client, projection, [entries]);
}

/**
 * The same for chunks of several partitions (ChunkGatherer: a fetch's partitions), in one
 * transaction: a guarded position move per chunk, then the statements of all the chunks. Only for a
 * projection whose `applyChunk` takes events of several partitions (`chunksSpanPartitions`), so
 * that its statements see them all at once and lock rows in one order (a projection locking per
 * chunk, one chunk after another, could deadlock with a writer that locks the same rows in id
 * order). If any chunk's position had moved past its start, nothing is committed (`committed:
 * false`), as for one chunk.
 */
export async function applyChunksInOneRoundTrip(
  client: PoolClient,
  projection: Projection,
  chunks: readonly (readonly PositionedEvent[])[],
): Promise<PipelinedOutcome> {
  const nonEmpty = chunks.filter((chunk) => chunk.length > 0);
  if (nonEmpty.length === 0) return { committed: true, returned: [] };
  if (nonEmpty.length > 1 && !(projection.applyChunk && projection.chunksSpanPartitions))
    throw new Error(`projection ${projection.name} does not apply chunks of several partitions together`);
  const entries = nonEmpty.flat();
  const statements = (
    projection.applyChunk
      ? projection.applyChunk(entries)
      : entries.flatMap(({ event, position }) => projection.apply(event, position))
  ).map((statement) => ({ text: statement.text, values: statement.values.map(prepareValue) }));
  // Query configs only: pg sends a query when it is called, so the calls below keep the order.
  const guards = nonEmpty.map((chunk) => {
    const first = chunk[0] as PositionedEvent;
    const last = chunk[chunk.length - 1] as PositionedEvent;
    return {
      name: 'consumer_positions_guarded_advance',
      text: GUARDED_ADVANCE,
      values: [
        projection.name,
        first.position.topic,
        first.position.partition,
        String(BigInt(last.position.offset) + 1n),
        first.position.offset,
      ],
    };
  });
  const queries: Promise<QueryResult<Record<string, unknown>>>[] = [
    client.query('BEGIN'),
    // Generic plans for this transaction's named statements: most take arrays, and with the default
    // PostgreSQL plans them afresh at every execution (docs/decisions.md, "Generic plans"). Only
    // here, not for the whole session: the services' other queries need plans for their values.
    client.query('SET LOCAL plan_cache_mode = force_generic_plan'),
    ...guards.map((guard) => client.query<Record<string, unknown>>(guard)),
    ...statements.map((statement) =>
      client.query<Record<string, unknown>>({
        name: statementName(statement.text),
        text: statement.text,
        values: [...statement.values],
      }),
    ),
    client.query('COMMIT'),
  ];
  const settled = await Promise.allSettled(queries);
  const failure = settled.find((result) => result.status === 'rejected');
  const firstStatement = 2 + guards.length;
  if (!failure) {
    const returned: Record<string, unknown>[] = [];
    for (const result of settled.slice(firstStatement, -1))
      if (result.status === 'fulfilled') returned.push(...result.value.rows);
    return { committed: true, returned };
  }
  const begin = settled[0];
  const commit = settled[settled.length - 1];
  if (commit?.status === 'fulfilled' && commit.value.command === 'COMMIT')
    // A query failed on the client alone (the server saw no error) and the rest committed: say so
    // loudly rather than let a retry find the position moved and the chunk seemingly applied.
    throw new Error(
      `projection ${projection.name} committed chunks of ${nonEmpty
        .map((chunk) => `${chunk[0]?.position.topic}/${chunk[0]?.position.partition}`)
        .join(', ')} with a failed query: ` + String(failure.reason),
    );
  // The transaction is over either way unless BEGIN or COMMIT itself failed (a broken connection,
  // say): then the caller's error handling (which rolls back and releases) takes over.
  if (begin?.status === 'rejected') throw begin.reason;
  if (commit?.status === 'rejected') throw commit.reason;
  // The first failure aborted the transaction, so the queries after it failed too; a guard that
  // found its position moved is that first failure.
  if (
    (failure.reason as { code?: string }).code === DIVISION_BY_ZERO &&
    settled.slice(2, firstStatement).includes(failure)
  )
    return { committed: false };
  throw failure.reason;
}
