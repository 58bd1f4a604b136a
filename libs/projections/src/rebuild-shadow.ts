import type { Pool, PoolClient } from 'pg';
import type { Projection } from './projection';
import { createShadowTables, discardWrites, ident } from './shadow-tables';

/**
 * What a rebuild builds in: its own schema, claimed by an advisory lock on the schema's name held by
 * the control connection, and the lanes, connections whose search_path names the schema first.
 */
export class ShadowSchema {
  readonly lanes: PoolClient[] = [];
  private deferredIndexes: string[] = [];

  private constructor(
    readonly name: string,
    readonly control: PoolClient,
  ) {}

  /** The schema claimed, or undefined while another rebuild or verify holds it. */
  static async claim(pool: Pool, name: string): Promise<ShadowSchema | undefined> {
    const control = await pool.connect();
    const { rows } = await control.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
      name,
    ]);
    if (rows[0]?.ok) return new ShadowSchema(name, control);
    control.release();
    return undefined;
  }

  /**
   * Opens the lanes and creates the schema afresh with empty copies of the projection's tables, side
   * tables and positions. Indexes that enforce nothing wait for `createDeferredIndexes`.
   */
  async create(pool: Pool, projection: Projection, connections: number): Promise<void> {
    for (let i = 0; i < Math.max(1, connections); i += 1) this.lanes.push(await pool.connect());
    this.deferredIndexes = await createShadowTables(
      this.control,
      this.name,
      [...projection.tables, ...(projection.sideTables ?? []), 'consumer_positions'],
      { deferIndexes: true },
    );
    for (const table of projection.sideTables ?? []) await discardWrites(this.control, this.name, table);
    for (const lane of this.lanes) {
      await lane.query(`SET search_path = ${ident(this.name)}, public`);
      // A crash loses the shadow anyway; the commit flushes are the rebuild's largest cost otherwise.
      await lane.query('SET synchronous_commit = off');
    }
  }

  /** Once the bulk of the rows is in: building an index once is cheaper than row by row. */
  async createDeferredIndexes(): Promise<void> {
    for (const create of this.deferredIndexes) await this.control.query(create);
  }

  async rowCounts(tables: readonly string[]): Promise<{ table: string; rows: number }[]> {
    const counts: { table: string; rows: number }[] = [];
    for (const table of tables) {
      const { rows } = await this.control.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${ident(this.name)}.${ident(table)}`,
      );
      counts.push({ table, rows: Number(rows[0]?.n ?? 0) });
    }
    return counts;
  }

  /** Drops the schema and the claim; after a failure too, so errors are ignored. */
  async release(): Promise<void> {
    // The lanes' settings and prepared statements name the shadow schema: they are not reused.
    for (const lane of this.lanes) lane.release(true);
    await this.control.query(`DROP SCHEMA IF EXISTS ${ident(this.name)} CASCADE`).catch(() => undefined);
    await this.control.query('SELECT pg_advisory_unlock(hashtext($1))', [this.name]).catch(() => undefined);
    this.control.release();
  }
}
