import type { PoolClient } from 'pg';

/** PostgreSQL identifiers here come from code (projection table lists), never from users; still quoted. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Creates `schema` afresh with empty copies of `tables` from `public`: columns, defaults and checks,
 * and every index under its original name (constraints backed by an index keep their names too), so
 * the copies can replace the originals without a trace of having been rebuilt.
 *
 * With `deferIndexes`, indexes that enforce nothing (not unique) are not created but returned, to be
 * created once the bulk of the rows is in: building an index once is cheaper than keeping it up to
 * date row by row.
 */
export async function createShadowTables(
  client: PoolClient,
  schema: string,
  tables: readonly string[],
  options: { deferIndexes?: boolean } = {},
): Promise<string[]> {
  const deferred: string[] = [];
  await client.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
  await client.query(`CREATE SCHEMA ${ident(schema)}`);
  for (const table of tables) {
    const from = `public.${ident(table)}`;
    const to = `${ident(schema)}.${ident(table)}`;
    await client.query(
      `CREATE TABLE ${to} (LIKE ${from} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS)`,
    );
    const { rows } = await client.query<{ name: string; definition: string; kind: string | null }>(
      `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition, c.contype AS kind
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
        WHERE x.indrelid = $1::regclass
        ORDER BY i.relname`,
      [from],
    );
    for (const index of rows) {
      // "CREATE [UNIQUE] INDEX name ON public.table USING …": the same index on the copy.
      const onClause = / ON (?:ONLY )?\S+ USING /;
      if (!onClause.test(index.definition))
        throw new Error(`cannot copy index ${index.name}: ${index.definition}`);
      const create = index.definition.replace(onClause, ` ON ${to} USING `);
      if (options.deferIndexes && !/^CREATE UNIQUE /.test(create)) {
        deferred.push(create);
        continue;
      }
      await client.query(create);
      if (index.kind === 'p' || index.kind === 'u') {
        await client.query(
          `ALTER TABLE ${to} ADD CONSTRAINT ${ident(index.name)} ${index.kind === 'p' ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${ident(index.name)}`,
        );
      }
    }
  }
  return deferred;
}

/**
 * Makes a shadow table swallow every row written to it (a trigger returns NULL): for side tables,
 * whose rebuilt copies are thrown away, so writing them would be wasted work. Their unique indexes
 * stay, so the projection's ON CONFLICT clauses still find their arbiters.
 */
export async function discardWrites(client: PoolClient, schema: string, table: string): Promise<void> {
  const fn = `${ident(schema)}.parley_discard_row`;
  await client.query(
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
  );
  await client.query(
    `CREATE TRIGGER parley_discard BEFORE INSERT OR UPDATE OR DELETE ON ${ident(schema)}.${ident(table)}
       FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
  );
}

/**
 * Moves `tables` of `from` into `to`, and the tables of `to` they replace into `retired`: the
 * atomic switch of a rebuild when run in one transaction (each ALTER takes the table's exclusive
 * lock, so readers wait for the commit and then see the new tables).
 */
export async function swapTables(
  client: PoolClient,
  tables: readonly string[],
  from: string,
  to: string,
  retired: string,
): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${ident(retired)} CASCADE`);
  await client.query(`CREATE SCHEMA ${ident(retired)}`);
  for (const table of tables) {
    await client.query(`ALTER TABLE ${ident(to)}.${ident(table)} SET SCHEMA ${ident(retired)}`);
    await client.query(`ALTER TABLE ${ident(from)}.${ident(table)} SET SCHEMA ${ident(to)}`);
  }
}

export interface TableChecksum {
  readonly table: string;
  readonly rows: number;
  readonly md5: string;
}

/** A checksum of a table's contents, independent of row order and physical layout. */
export async function tableChecksum(
  client: PoolClient,
  schema: string,
  table: string,
): Promise<TableChecksum> {
  const { rows } = await client.query<{ rows: string; md5: string }>(
    `SELECT count(*) AS rows, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS md5
       FROM (SELECT md5(t::text) AS h FROM ${ident(schema)}.${ident(table)} t) hashed`,
  );
  return { table, rows: Number(rows[0]?.rows ?? 0), md5: rows[0]?.md5 ?? '' };
}

/** Rows (as PostgreSQL's row text) that one schema's table has and the other's does not, both ways. */
export async function tableDifferences(
  client: PoolClient,
  left: string,
  right: string,
  table: string,
  limit = 5,
): Promise<{ onlyLeft: string[]; onlyRight: string[] }> {
  const only = async (a: string, b: string) => {
    const { rows } = await client.query<{ row: string }>(
      `SELECT d::text AS row FROM (
         SELECT * FROM ${ident(a)}.${ident(table)} EXCEPT ALL SELECT * FROM ${ident(b)}.${ident(table)}
       ) d ORDER BY 1 LIMIT ${Number(limit)}`,
    );
    return rows.map((r) => r.row);
  };
  return { onlyLeft: await only(left, right), onlyRight: await only(right, left) };
}
