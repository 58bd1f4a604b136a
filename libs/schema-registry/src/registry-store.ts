import avro from 'avsc';
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '@parley/postgres';
import type { ParsedSchema } from './avro-schema';
import { compatibilityProblems, DEFAULT_COMPATIBILITY, type CompatibilityLevel } from './compatibility';
import { ERROR_CODES, RegistryError } from './registry-error';

export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: string;
}

const GLOBAL = '';

/**
 * Durable registry state in PostgreSQL. Writes to a subject are serialised with a transaction-level
 * advisory lock, so two registrations racing on one subject get consecutive versions and one
 * compatibility check each, never a duplicate.
 */
export class RegistryStore {
  /** Schemas never change once stored, so lookups by id are cached for good. */
  private readonly schemaCache = new Map<number, string>();

  constructor(private readonly pool: Pool) {}

  async schemaById(id: number): Promise<string | undefined> {
    const cached = this.schemaCache.get(id);
    if (cached !== undefined) return cached;
    const { rows } = await this.pool.query<{ schema: string }>(
      'SELECT schema FROM registry_schemas WHERE id = $1',
      [id],
    );
    const schema = rows[0]?.schema;
    if (schema !== undefined) this.schemaCache.set(id, schema);
    return schema;
  }

  async subjects(): Promise<string[]> {
    const { rows } = await this.pool.query<{ subject: string }>(
      'SELECT DISTINCT subject FROM registry_versions WHERE NOT deleted ORDER BY subject',
    );
    return rows.map((r) => r.subject);
  }

  async versions(subject: string): Promise<number[]> {
    const { rows } = await this.pool.query<{ version: number }>(
      'SELECT version FROM registry_versions WHERE subject = $1 AND NOT deleted ORDER BY version',
      [subject],
    );
    return rows.map((r) => r.version);
  }

  async version(subject: string, version: number | 'latest'): Promise<SubjectVersion | undefined> {
    const { rows } = await this.pool.query<SubjectVersion>(
      `SELECT v.subject, v.version, v.schema_id AS id, s.schema
         FROM registry_versions v JOIN registry_schemas s ON s.id = v.schema_id
        WHERE v.subject = $1 AND NOT v.deleted AND ($2::int IS NULL OR v.version = $2)
        ORDER BY v.version DESC LIMIT 1`,
      [subject, version === 'latest' ? null : version],
    );
    return rows[0];
  }

  /** The version of this exact schema under the subject, if registered there. */
  async lookup(subject: string, parsed: ParsedSchema): Promise<SubjectVersion | undefined> {
    const { rows } = await this.pool.query<SubjectVersion>(
      `SELECT v.subject, v.version, v.schema_id AS id, s.schema
         FROM registry_versions v JOIN registry_schemas s ON s.id = v.schema_id
        WHERE v.subject = $1 AND s.fingerprint = $2 AND NOT v.deleted
        ORDER BY v.version LIMIT 1`,
      [subject, parsed.fingerprint],
    );
    return rows[0];
  }

  async compatibilityLevel(subject: string | null): Promise<CompatibilityLevel | undefined> {
    const { rows } = await this.pool.query<{ compatibility: CompatibilityLevel }>(
      'SELECT compatibility FROM registry_config WHERE subject = $1',
      [subject ?? GLOBAL],
    );
    return rows[0]?.compatibility;
  }

  /** The level that applies to a subject: its own, else the global one, else BACKWARD. */
  async effectiveLevel(subject: string): Promise<CompatibilityLevel> {
    return (
      (await this.compatibilityLevel(subject)) ??
      (await this.compatibilityLevel(null)) ??
      DEFAULT_COMPATIBILITY
    );
  }

  async setCompatibilityLevel(subject: string | null, level: CompatibilityLevel): Promise<void> {
    await this.pool.query(
      `INSERT INTO registry_config (subject, compatibility) VALUES ($1, $2)
       ON CONFLICT (subject) DO UPDATE SET compatibility = EXCLUDED.compatibility`,
      [subject ?? GLOBAL, level],
    );
  }

  async deleteCompatibilityLevel(subject: string): Promise<CompatibilityLevel | undefined> {
    const { rows } = await this.pool.query<{ compatibility: CompatibilityLevel }>(
      'DELETE FROM registry_config WHERE subject = $1 RETURNING compatibility',
      [subject],
    );
    return rows[0]?.compatibility;
  }

  /** Problems that registering `parsed` under `subject` would have at the subject's level. */
  async problemsFor(subject: string, parsed: ParsedSchema, against?: number): Promise<string[]> {
    return compatibilityProblems(
      await this.effectiveLevel(subject),
      parsed.type,
      await this.previousTypes(this.pool, subject, against),
    );
  }

  /**
   * Registers a schema under a subject. Re-registering a schema the subject already has returns its
   * existing id; a schema known under another subject keeps its global id; an incompatible one is
   * refused with 409.
   */
  async register(subject: string, parsed: ParsedSchema): Promise<{ id: number }> {
    const existing = await this.lookup(subject, parsed);
    if (existing) return { id: existing.id };
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`registry:${subject}`]);
      const again = await client.query<{ id: number }>(
        `SELECT v.schema_id AS id FROM registry_versions v JOIN registry_schemas s ON s.id = v.schema_id
          WHERE v.subject = $1 AND s.fingerprint = $2 AND NOT v.deleted LIMIT 1`,
        [subject, parsed.fingerprint],
      );
      if (again.rows[0]) return { id: again.rows[0].id };
      const level = await this.effectiveLevel(subject);
      const problems = compatibilityProblems(level, parsed.type, await this.previousTypes(client, subject));
      if (problems.length > 0) {
        throw new RegistryError(
          ERROR_CODES.incompatibleSchema,
          `Schema being registered is incompatible with an earlier schema for subject "${subject}" (${level}): ${problems.join('; ')}`,
        );
      }
      await client.query(
        'INSERT INTO registry_schemas (schema, fingerprint) VALUES ($1, $2) ON CONFLICT (fingerprint) DO NOTHING',
        [parsed.canonical, parsed.fingerprint],
      );
      const { rows } = await client.query<{ id: number }>(
        'SELECT id FROM registry_schemas WHERE fingerprint = $1',
        [parsed.fingerprint],
      );
      const id = (rows[0] as { id: number }).id;
      // Versions keep counting after soft deletes, as Confluent's do.
      await client.query(
        `INSERT INTO registry_versions (subject, version, schema_id)
         SELECT $1, COALESCE(MAX(version), 0) + 1, $2 FROM registry_versions WHERE subject = $1`,
        [subject, id],
      );
      return { id };
    });
  }

  /** Soft-deletes every version of a subject; returns the versions deleted. */
  async deleteSubject(subject: string): Promise<number[]> {
    const { rows } = await this.pool.query<{ version: number }>(
      'UPDATE registry_versions SET deleted = true WHERE subject = $1 AND NOT deleted RETURNING version',
      [subject],
    );
    return rows.map((r) => r.version).sort((a, b) => a - b);
  }

  async deleteVersion(subject: string, version: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'UPDATE registry_versions SET deleted = true WHERE subject = $1 AND version = $2 AND NOT deleted',
      [subject, version],
    );
    return (rowCount ?? 0) > 0;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private async previousTypes(
    db: Pool | PoolClient,
    subject: string,
    upToVersion?: number,
  ): Promise<avro.Type[]> {
    const { rows } = await db.query<{ schema: string }>(
      `SELECT s.schema FROM registry_versions v JOIN registry_schemas s ON s.id = v.schema_id
        WHERE v.subject = $1 AND NOT v.deleted AND ($2::int IS NULL OR v.version <= $2)
        ORDER BY v.version`,
      [subject, upToVersion ?? null],
    );
    return rows.map((r) => avro.Type.forSchema(JSON.parse(r.schema) as avro.Schema));
  }
}
