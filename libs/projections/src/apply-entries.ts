import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { ParleyEvent } from '@parley/events';
import type { EventPosition, Projection } from './projection';

export interface PositionedEvent {
  readonly event: ParleyEvent;
  readonly position: EventPosition;
}

/**
 * Applies a chunk of one partition's events (in log order) inside the caller's transaction: locks the
 * projection's position row in that partition, skips what is below it (read again after a crash or
 * a rebalance), runs the projection's statements and advances the position. Unqualified table names
 * follow the connection's search_path, which is how a rebuild writes to shadow tables.
 * Returns the rows the statements returned.
 */
export async function applyEntries(
  client: PoolClient,
  projection: Projection,
  entries: readonly PositionedEvent[],
): Promise<Record<string, unknown>[]> {
  const first = entries[0];
  if (!first) return [];
  const { topic, partition } = first.position;
  const last = entries[entries.length - 1] as PositionedEvent;
  // One round trip locks the position row, reads where it stood and moves it past this chunk: the
  // statements below run in the same transaction, so either all of it commits or none.
  const previous = await advancePosition(
    client,
    projection.name,
    topic,
    partition,
    BigInt(last.position.offset) + 1n,
  );
  const fresh = entries.filter(({ position }) => BigInt(position.offset) >= previous);
  if (fresh.length === 0) return [];
  const statements = projection.applyChunk
    ? projection.applyChunk(fresh)
    : fresh.flatMap(({ event, position }) => projection.apply(event, position));
  const returned: Record<string, unknown>[] = [];
  for (const statement of statements) {
    // Named, so PostgreSQL parses and plans each statement once per connection.
    const result = await client.query<Record<string, unknown>>({
      name: statementName(statement.text),
      text: statement.text,
      values: [...statement.values],
    });
    returned.push(...result.rows);
  }
  return returned;
}

const statementNames = new Map<string, string>();

/** A stable name per distinct SQL text (projections build their SQL from a fixed set of templates). */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `projection_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Locks the projection's position row in the partition, moves it to `nextOffset` (never back) and
 * returns where it stood: records below that were applied before (read again after a crash or a
 * rebalance). Another transaction holding the row makes this wait, then read what that one wrote.
 */
async function advancePosition(
  client: PoolClient,
  projection: string,
  topic: string,
  partition: number,
  nextOffset: bigint,
): Promise<bigint> {
  const advance = {
    name: 'consumer_positions_lock_advance',
    text: `WITH previous AS (
             SELECT next_offset FROM consumer_positions
              WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE)
           UPDATE consumer_positions p
              SET next_offset = GREATEST(p.next_offset, $4::bigint), updated_at = now()
             FROM previous
            WHERE p.projection = $1 AND p.topic = $2 AND p.partition = $3
           RETURNING previous.next_offset`,
    values: [projection, topic, partition, String(nextOffset)],
  };
  let { rows } = await client.query<{ next_offset: string }>(advance);
  if (rows.length === 0) {
    // The partition's first chunk: one round trip more, once.
    await client.query(
      `INSERT INTO consumer_positions (projection, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT DO NOTHING`,
      [projection, topic, partition],
    );
    ({ rows } = await client.query<{ next_offset: string }>(advance));
  }
  return BigInt(rows[0]?.next_offset ?? '0');
}
