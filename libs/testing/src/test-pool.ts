import { Pool, type PoolConfig } from 'pg';

/** PostgreSQL's code for a connection closed by `pg_terminate_backend` or `DROP DATABASE ... WITH (FORCE)`. */
const ADMIN_SHUTDOWN = '57P01';

/**
 * A pool for a test's own database. `pool.end()` resolves before its connections have said goodbye to
 * the server, so the `DROP DATABASE ... WITH (FORCE)` a test's clean-up runs next can terminate a
 * connection that is still closing; pg then emits `error` on the pool, and with no listener that is an
 * uncaught exception that fails whichever test is running (it failed a CI run). That one error is
 * expected and ignored here; any other stays loud.
 */
export function testPool(config: PoolConfig): Pool {
  const pool = new Pool(config);
  pool.on('error', (error: Error & { code?: string }) => {
    if (error.code !== ADMIN_SHUTDOWN) throw error;
  });
  return pool;
}
