import type { Pool } from 'pg';

export interface PruneReport {
  readonly sent: number;
  readonly deliveries: number;
  readonly activeUsers: number;
}

/**
 * Deletes what analytics keeps per message and per user-minute once it is older than `before`: the
 * rows that measure deliveries and reads (a delivery or read after that is not measured), and who was
 * active in each minute (active users are answered within the retention). The per-minute counts
 * and latency histograms are small and stay.
 */
export async function pruneAnalytics(pool: Pool, before: Date, batch = 10_000): Promise<PruneReport> {
  // In batches, so a large backlog never holds locks for long.
  const prune = async (table: string, column: string) => {
    let total = 0;
    for (;;) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT $2))`,
        [before, batch],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) return total;
    }
  };
  return {
    sent: await prune('analytics_sent', 'sent_at'),
    deliveries: await prune('analytics_deliveries', 'delivered_at'),
    activeUsers: await prune('analytics_active_users', 'minute'),
  };
}
