import type { Pool } from 'pg';
import { waitFor } from './wait-for';

/**
 * Waits until `count` statements of this database whose text starts with `queryPrefix` are waiting
 * for a lock: a spec holding rows can then let go knowing the others queued for them. Polled on
 * `pool`, never on the holder's own connection: inside a transaction pg_stat_activity does not change.
 */
export async function waitForLockWaits(pool: Pool, queryPrefix: string, count: number): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await pool.query<{ waiting: string }>(
        `SELECT count(*) AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND starts_with(query, $1)`,
        [queryPrefix],
      );
      return Number(rows[0]?.waiting) === count;
    },
    { what: `${count} statement(s) "${queryPrefix}..." waiting for a lock` },
  );
}
