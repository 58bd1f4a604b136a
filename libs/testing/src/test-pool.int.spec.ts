import { Client } from 'pg';
import { stackEnv, testPool, waitFor } from '@parley/testing';

describe('testPool', () => {
  it('given an idle connection, when the server terminates it (as DROP DATABASE WITH (FORCE) does), then nothing is thrown and the pool still works', async () => {
    const { databaseUrl } = stackEnv();
    const pool = testPool({ connectionString: databaseUrl, max: 1 });
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const removed = new Promise((resolve) => pool.once('remove', resolve));
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      // Without the pool's listener the terminated idle connection is an uncaught 'error' event here.
      await removed;
      await waitFor(async () => pool.totalCount === 0, { what: 'the dead connection to leave the pool' });
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await pool.end();
    }
  });
});
