import { Client } from 'pg';
import { PROJECT_MIGRATIONS, dropDatabase, ensureDatabase, migrate } from '@parley/postgres';
import { databaseUrlFor, randomName, stackEnv } from '@parley/testing';

describe('database set-up', () => {
  const databaseUrl = databaseUrlFor(stackEnv().databaseUrl, randomName('t_migrate').toLowerCase());

  afterAll(() => dropDatabase(databaseUrl));

  it('creates the database once and applies migrations once', async () => {
    expect(await ensureDatabase(databaseUrl)).toBe('created');
    expect(await ensureDatabase(databaseUrl)).toBe('exists');
    const applied = await migrate({ databaseUrl, ...PROJECT_MIGRATIONS });
    expect(applied.length).toBeGreaterThan(0);
    expect(await migrate({ databaseUrl, ...PROJECT_MIGRATIONS })).toEqual([]);

    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT to_regclass('consumer_positions') IS NOT NULL AS present`);
      expect(rows[0].present).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('says how to start PostgreSQL when it cannot be reached', async () => {
    await expect(ensureDatabase('postgres://postgres@127.0.0.1:1/nothing')).rejects.toThrow(
      /pg_ctlcluster .* or set DATABASE_URL/,
    );
  });
});
