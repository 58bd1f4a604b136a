import { Client } from 'pg';

function maintenanceUrl(databaseUrl: string): { url: string; database: string } {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new Error(`DATABASE_URL names no database: ${databaseUrl}`);
  url.pathname = '/postgres';
  return { url: url.toString(), database };
}

/** Creates the database named by the URL if it does not exist (safe when several callers race). */
export async function ensureDatabase(databaseUrl: string): Promise<'created' | 'exists'> {
  const { url, database } = maintenanceUrl(databaseUrl);
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot reach PostgreSQL at ${redact(url)} (${(error as Error).message}). Start it ` +
        '(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL.',
      { cause: error },
    );
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return 'exists';
    try {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      return 'created';
    } catch (error) {
      // 42P04 duplicate_database, 23505 unique_violation: someone else created it just now.
      if (['42P04', '23505'].includes((error as { code?: string }).code ?? '')) return 'exists';
      throw error;
    }
  } finally {
    await client.end();
  }
}

/** Drops a database, closing its connections first; for tests that make a database of their own. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const { url, database } = maintenanceUrl(databaseUrl);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
