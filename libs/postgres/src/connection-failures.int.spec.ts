// A connection that fails while a service holds it (a server restart, pg_terminate_backend) is a
// logged failure of that connection, not an uncaught exception that ends the process.
import { Pool } from 'pg';
import type { Logger } from '@parley/logging';
import { createTestWorld, testPool, waitFor, type TestWorld } from '@parley/testing';
import { logConnectionFailures } from './connection-failures';

describe('logConnectionFailures', () => {
  let world: TestWorld;
  let admin: Pool;

  beforeAll(async () => {
    world = await createTestWorld('connection-failures', { database: true });
    admin = testPool({ connectionString: world.databaseUrl });
  });

  afterAll(async () => {
    await admin.end();
    await world.dispose();
  });

  it('given a checked-out client between two queries, when its backend is terminated, then the failure is logged, the next query on it fails, and the pool goes on with a new connection', async () => {
    const warnings: { code?: string; what: string }[] = [];
    // A logger that keeps what it is told to warn about.
    const logger = {
      warn: (fields: { err: Error & { code?: string } }, what: string) =>
        warnings.push({ code: fields.err.code, what }),
    } as unknown as Logger;
    const pool = logConnectionFailures(new Pool({ connectionString: world.databaseUrl, max: 1 }), logger);
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);

      await waitFor(() => warnings.length > 0, { what: 'the failure logged', timeoutMs: 10_000 });
      // The termination, then (the same failure seen by the socket) the connection's end.
      expect(warnings[0]).toEqual({ code: '57P01', what: 'PostgreSQL connection failed while in use' });
      await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable/);
    } finally {
      client.release();
    }
    try {
      const { rows: again } = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(again).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
