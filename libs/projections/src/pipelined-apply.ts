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
export async function applyInOneRoundTrip(
  client: PoolClient,
  projection: Projection,
  entries: readonly PositionedEvent[],
): Promise<PipelinedOutcome> {
  const first = entries[0];
  const last = entries[entries.length - 1];
  if (!first || !last) return { committed: true, returned: [] };
  const { topic, partition } = first.position;
  const statements = (
    projection.applyChunk
      ? projection.applyChunk(entries)
      : entries.flatMap(({ event, position }) => projection.apply(event, position))
  ).map((statement) => ({ text: statement.text, values: statement.values.map(prepareValue) }));
  const queries: Promise<QueryResult<Record<string, unknown>>>[] = [
    client.query('BEGIN'),
    // Generic plans for this transaction's named statements: most take arrays, and with the default
    // PostgreSQL plans them afresh at every execution (docs/decisions.md, "Generic plans"). Only
    // here, not for the whole session: the services' other queries need plans for their values.
    client.query('SET LOCAL plan_cache_mode = force_generic_plan'),
    client.query({
      name: 'consumer_positions_guarded_advance',
      text: GUARDED_ADVANCE,
      values: [
        projection.name,
        topic,
        partition,
        String(BigInt(last.position.offset) + 1n),
        first.position.offset,
      ],
    }),
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
  if (!failure) {
    const returned: Record<string, unknown>[] = [];
    for (const result of settled.slice(3, -1))
      if (result.status === 'fulfilled') returned.push(...result.value.rows);
    return { committed: true, returned };
  }
  const [begin, , guard, ...rest] = settled;
  const commit = rest[rest.length - 1];
  if (commit?.status === 'fulfilled' && commit.value.command === 'COMMIT')
    // A query failed on the client alone (the server saw no error) and the rest committed: say so
    // loudly rather than let a retry find the position moved and the chunk seemingly applied.
    throw new Error(
      `projection ${projection.name} committed a chunk of ${topic}/${partition} with a failed query: ` +
        String(failure.reason),
    );
  // The transaction is over either way unless BEGIN or COMMIT itself failed (a broken connection,
  // say): then the caller's error handling (which rolls back and releases) takes over.
  if (begin?.status === 'rejected') throw begin.reason;
  if (commit?.status === 'rejected') throw commit.reason;
  if (guard?.status === 'rejected' && (guard.reason as { code?: string }).code === DIVISION_BY_ZERO)
    return { committed: false };
  throw failure.reason;
}
