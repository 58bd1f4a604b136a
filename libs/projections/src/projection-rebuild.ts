import type { Pool, PoolClient } from 'pg';
import type { EventSerde } from '@parley/events';
import { isForGroup, readRange, type IncomingRecord, type KafkaClient } from '@parley/kafka';
import { prefixedTopic } from '@parley/topics';
import type { Projection } from './projection';
import { ShadowApplier, partitionKey, type ApplierProgress } from './shadow-applier';
import {
  createShadowTables,
  discardWrites,
  ident,
  swapTables,
  tableChecksum,
  tableDifferences,
  type TableChecksum,
} from './shadow-tables';

export type RebuildMode = 'rebuild' | 'verify';

/** Another rebuild or verify of the same projection holds it. */
export class RebuildBusyError extends Error {
  override readonly name = 'RebuildBusyError';
}

export interface RebuildOptions {
  readonly kafka: KafkaClient;
  readonly pool: Pool;
  readonly serde: EventSerde;
  readonly projection: Projection;
  readonly topicPrefix: string;
  /** `rebuild` switches the live tables to the rebuilt ones; `verify` compares and changes nothing. */
  readonly mode: RebuildMode;
  /** Connections applying partitions side by side (default 2; the pool needs one more). */
  readonly connections?: number;
  /** How long the live projection may be held while the rebuild takes its last records (default 30 s). */
  readonly switchTimeoutMs?: number;
  /** How long to wait for the topics' current end before giving up (default: no limit). */
  readonly catchUpTimeoutMs?: number;
  /** Told how many records there are to read when reading starts, and then how far it got. */
  readonly onProgress?: (progress: ApplierProgress & { readonly total: number }) => void;
  readonly onSkip?: (record: IncomingRecord, reason: string) => void;
}

export interface TableComparison {
  readonly table: string;
  readonly live: TableChecksum;
  readonly rebuilt: TableChecksum;
  readonly equal: boolean;
  /** The first rows only the live table has, and only the rebuilt one (PostgreSQL row text). */
  readonly onlyLive: readonly string[];
  readonly onlyRebuilt: readonly string[];
}

export interface RebuildReport {
  readonly projection: string;
  readonly mode: RebuildMode;
  readonly records: number;
  readonly skipped: number;
  readonly elapsedMs: number;
  /** From the start to the end of the bulk read (the figure the benchmark reports). */
  readonly bulkMs: number;
  /** How long the live projection was held at the switch (or at the comparison). */
  readonly heldMs: number;
  /** The rebuilt tables' sizes. */
  readonly rebuilt: readonly { readonly table: string; readonly rows: number }[];
  /** verify: each table next to the live one. */
  readonly comparisons: readonly TableComparison[];
}

/** Live positions of a projection, by partition key; partitions with no row yet are 0. */
async function livePositions(
  client: PoolClient,
  projection: string,
  topics: readonly string[],
  lock: boolean,
): Promise<Map<string, bigint>> {
  const { rows } = await client.query<{ topic: string; partition: number; next_offset: string }>(
    `SELECT topic, partition, next_offset FROM public.consumer_positions
      WHERE projection = $1 AND topic = ANY($2::text[]) ${lock ? 'FOR UPDATE' : ''}`,
    [projection, topics],
  );
  return new Map(rows.map((r) => [partitionKey(r.topic, r.partition), BigInt(r.next_offset)]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Rebuilds one projection from its topics into shadow tables while the live one keeps running, then
 * either switches over or compares.
 *
 * 1. Empty copies of the projection's tables (and of its side tables and positions) are made in a
 *    schema of their own; a connection whose search_path names it first applies the topics from the
 *    beginning with the projection's own chunk code. It keeps following the topics.
 * 2. Once it is near the live projection, the live position rows are locked: the live runner locks
 *    its row before it writes, so it waits. The rebuild takes the records up to those positions.
 * 3. `rebuild` then moves the live tables out and the rebuilt ones in and sets the positions, all in
 *    that one transaction: readers see the old tables or the new ones. `verify` compares checksums of
 *    the two at exactly the same positions (the rebuild stops at the live positions) and rolls back.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildReport> {
  const { projection, pool, mode } = options;
  const started = Date.now();
  const safeName = projection.name.replace(/[^a-zA-Z0-9_]/g, '_').toLowerCase();
  const shadow = `parley_shadow_${safeName}`;
  const retired = `parley_retired_${safeName}`;
  const groupId = `${options.topicPrefix}parley.projection.${projection.name}`;
  const topics = projection.topics.map((t) => prefixedTopic(options.topicPrefix, t));

  const control = await pool.connect();
  // One rebuild or verify of a projection at a time: they share the shadow schema's name.
  const { rows: claimed } = await control.query<{ ok: boolean }>(
    'SELECT pg_try_advisory_lock(hashtext($1)) AS ok',
    [shadow],
  );
  if (!claimed[0]?.ok) {
    control.release();
    throw new RebuildBusyError(
      `a rebuild or verify of ${projection.name} is already running; try again when it is done`,
    );
  }
  const lanes: PoolClient[] = [];
  let stopReading!: () => void;
  const readingStopped = new Promise<void>((resolve) => (stopReading = resolve));
  const readers: Promise<void>[] = [];
  let readFailure: unknown;
  let inTransaction = false;
  let applier: ShadowApplier | undefined;
  try {
    for (let i = 0; i < Math.max(1, options.connections ?? 2); i += 1) lanes.push(await pool.connect());
    const deferredIndexes = await createShadowTables(
      control,
      shadow,
      [...projection.tables, ...(projection.sideTables ?? []), 'consumer_positions'],
      { deferIndexes: true },
    );
    for (const table of projection.sideTables ?? []) await discardWrites(control, shadow, table);
    for (const lane of lanes) {
      await lane.query(`SET search_path = ${ident(shadow)}, public`);
      // A crash loses the shadow anyway; the commit flushes are the rebuild's largest cost otherwise.
      await lane.query('SET synchronous_commit = off');
    }

    const firstLive = await livePositions(control, projection.name, topics, false);
    const shadowApplier = new ShadowApplier(
      lanes,
      projection,
      options.serde,
      (record) => isForGroup(record, groupId),
      options.onSkip ?? (() => undefined),
    );
    applier = shadowApplier;
    const ends = new Map<string, bigint>();
    const partitions: { topic: string; partition: number }[] = [];
    let total = 0;
    await Promise.all(
      topics.map(
        (topic) =>
          new Promise<void>((planned, failed) => {
            const reader = readRange(options.kafka, {
              topic,
              from: { kind: 'beginning' },
              follow: true,
              onBatch: (records) => shadowApplier.accept(records),
              onPlan: (plan) => {
                for (const p of plan) {
                  const key = partitionKey(topic, p.partition);
                  // verify stops where the live projection stands; rebuild reads on.
                  shadowApplier.track(
                    topic,
                    p.partition,
                    p.start,
                    mode === 'verify' ? (firstLive.get(key) ?? 0n) : undefined,
                  );
                  partitions.push({ topic, partition: p.partition });
                  ends.set(key, mode === 'verify' ? (firstLive.get(key) ?? 0n) : p.end);
                  total += Number(p.end - p.start);
                }
                planned();
              },
              until: readingStopped,
            });
            readers.push(
              reader.catch((error: unknown) => {
                readFailure = error;
                failed(error instanceof Error ? error : new Error(String(error)));
              }),
            );
          }),
      ),
    );

    const waitFor = async (
      targets: ReadonlyMap<string, bigint>,
      timeoutMs: number | undefined,
      what: string,
    ) => {
      const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
      for (;;) {
        if (readFailure !== undefined) throw readFailure;
        const { done, behind } = shadowApplier.reached(targets);
        options.onProgress?.({ ...shadowApplier.progress, total });
        if (done) return;
        if (Date.now() > deadline)
          throw new Error(`${what}: not caught up within ${timeoutMs} ms (${behind.slice(0, 3).join('; ')})`);
        await sleep(50);
      }
    };
    await waitFor(ends, options.catchUpTimeoutMs, 'reading the topics');
    for (const create of deferredIndexes) await control.query(create);
    const bulkMs = Date.now() - started;

    // Close in on the live projection without holding it, so the locked step is short.
    for (let round = 0; round < 2; round += 1) {
      const live = await livePositions(control, projection.name, topics, false);
      if (mode === 'verify') await shadowApplier.raiseLimits(live);
      await waitFor(live, options.catchUpTimeoutMs, 'catching up with the live projection');
    }

    await control.query('BEGIN');
    inTransaction = true;
    const heldFrom = Date.now();
    // Rows for partitions the live projection has not reached yet, so that it waits on those too.
    await control.query(
      `INSERT INTO public.consumer_positions (projection, topic, partition, next_offset)
       SELECT $1, topic, partition, 0 FROM unnest($2::text[], $3::int[]) AS p(topic, partition)
       ON CONFLICT DO NOTHING`,
      [projection.name, partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
    );
    const locked = await livePositions(control, projection.name, topics, true);
    if (mode === 'verify') await shadowApplier.raiseLimits(locked);
    await waitFor(
      locked,
      options.switchTimeoutMs ?? 30_000,
      'taking the last records while the live projection waits',
    );
    await shadowApplier.close();

    const rebuilt: { table: string; rows: number }[] = [];
    for (const table of projection.tables) {
      const { rows } = await control.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${ident(shadow)}.${ident(table)}`,
      );
      rebuilt.push({ table, rows: Number(rows[0]?.n ?? 0) });
    }
    const comparisons: TableComparison[] = [];
    let heldMs: number;
    if (mode === 'verify') {
      // A snapshot taken while the live projection is held sees its tables at exactly these
      // positions; the comparison then runs on it and the live projection goes on meanwhile.
      const snapshot = lanes[0]!;
      await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await snapshot.query('SELECT 1');
      await control.query('ROLLBACK');
      inTransaction = false;
      heldMs = Date.now() - heldFrom;
      try {
        for (const table of projection.tables) {
          const live = await tableChecksum(snapshot, 'public', table);
          const mine = await tableChecksum(snapshot, shadow, table);
          const equal = live.md5 === mine.md5 && live.rows === mine.rows;
          const diff = equal
            ? { onlyLeft: [], onlyRight: [] }
            : await tableDifferences(snapshot, 'public', shadow, table);
          comparisons.push({
            table,
            live,
            rebuilt: mine,
            equal,
            onlyLive: diff.onlyLeft,
            onlyRebuilt: diff.onlyRight,
          });
        }
      } finally {
        await snapshot.query('ROLLBACK');
      }
    } else {
      await swapTables(control, projection.tables, shadow, 'public', retired);
      await control.query(
        `INSERT INTO public.consumer_positions (projection, topic, partition, next_offset)
         SELECT projection, topic, partition, next_offset FROM ${ident(shadow)}.consumer_positions WHERE projection = $1
         ON CONFLICT (projection, topic, partition) DO UPDATE
           SET next_offset = GREATEST(public.consumer_positions.next_offset, EXCLUDED.next_offset), updated_at = now()`,
        [projection.name],
      );
      await control.query('COMMIT');
      inTransaction = false;
      heldMs = Date.now() - heldFrom;
    }
    await control.query(`DROP SCHEMA IF EXISTS ${ident(retired)} CASCADE`);
    const { applied, skipped } = shadowApplier.progress;
    return {
      projection: projection.name,
      mode,
      records: applied,
      skipped,
      elapsedMs: Date.now() - started,
      bulkMs,
      heldMs,
      rebuilt,
      comparisons,
    };
  } finally {
    if (inTransaction) await control.query('ROLLBACK').catch(() => undefined);
    stopReading();
    await Promise.all(readers).catch(() => undefined);
    await applier?.close().catch(() => undefined);
    // The lanes' settings and prepared statements name the shadow schema: they are not reused.
    for (const lane of lanes) lane.release(true);
    await control.query(`DROP SCHEMA IF EXISTS ${ident(shadow)} CASCADE`).catch(() => undefined);
    await control.query('SELECT pg_advisory_unlock(hashtext($1))', [shadow]).catch(() => undefined);
    control.release();
  }
}
