import type { Pool } from 'pg';

/**
 * Read-your-writes for a caller that has just recorded an event: polls until `query` finds a row
 * showing the change (the projector usually takes milliseconds), so the answer to a change is never
 * followed by a read that does not see it. Returns that row.
 */
export async function waitForReadModel<R extends Record<string, unknown> = Record<string, unknown>>(
  pool: Pool,
  query: string,
  values: readonly unknown[],
  timeoutMs = 10_000,
): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 50)) {
    const { rows } = await pool.query<R>(query, [...values]);
    if (rows[0]) return rows[0];
    if (Date.now() > deadline)
      throw new Error(
        'the change is recorded in Kafka, but the read models have not caught up yet: is the projector running?',
      );
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
