import type { Pool } from 'pg';
import type { Logger } from '@parley/logging';

/**
 * Logs a PostgreSQL connection's failure instead of crashing on it. pg emits 'error' on a client
 * whose connection fails (a server restart, `pg_terminate_backend`, a network cut): the pool
 * listens while the client is idle in it, but not while it is checked out, and an 'error' nobody
 * listens to is an uncaught exception that ends the process. So every client gets a listener of its
 * own when it connects. The query in flight, or the next one, still fails and is handled where it
 * was made; the pool discards the broken client when it is released.
 */
export function logConnectionFailures(pool: Pool, logger: Logger | undefined): Pool {
  pool.on('error', (error) => logger?.warn({ err: error }, 'idle PostgreSQL connection failed'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger?.warn({ err: error }, 'PostgreSQL connection failed while in use'));
  });
  return pool;
}
