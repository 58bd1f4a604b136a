import type { Pool } from 'pg';
import type { EventSerde } from '@parley/events';
import type { IncomingRecord, KafkaClient } from '@parley/kafka';
import { prefixedTopic } from '@parley/topics';
import type { Projection } from './projection';
import { ShadowReading } from './rebuild-reading';
import { ShadowSchema } from './rebuild-shadow';
import {
  LiveHold,
  compareWithLive,
  livePositions,
  switchToRebuilt,
  type TableComparison,
} from './rebuild-switch';
import type { ApplierProgress } from './shadow-applier';
import { ident } from './shadow-tables';

export type { TableComparison } from './rebuild-switch';

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
  const { projection, mode } = options;
  const started = Date.now();
  const safeName = projection.name.replace(/[^a-zA-Z0-9_]/g, '_').toLowerCase();
  const retired = `parley_retired_${safeName}`;
  const topics = projection.topics.map((t) => prefixedTopic(options.topicPrefix, t));

  // One rebuild or verify of a projection at a time: they share the shadow schema's name.
  const shadow = await ShadowSchema.claim(options.pool, `parley_shadow_${safeName}`);
  if (!shadow)
    throw new RebuildBusyError(
      `a rebuild or verify of ${projection.name} is already running; try again when it is done`,
    );
  const { control } = shadow;
  const hold = new LiveHold(control, projection.name, topics);
  let reading: ShadowReading | undefined;
  try {
    await shadow.create(options.pool, projection, options.connections ?? 2);
    // verify stops where the live projection stands; rebuild reads on.
    const limits =
      mode === 'verify' ? await livePositions(control, projection.name, topics, false) : undefined;
    reading = new ShadowReading(shadow.lanes, {
      ...options,
      groupId: `${options.topicPrefix}parley.projection.${projection.name}`,
    });
    await reading.start(topics, limits);
    await reading.reachPlannedEnds(options.catchUpTimeoutMs);
    await shadow.createDeferredIndexes();
    const bulkMs = Date.now() - started;

    // Close in on the live projection without holding it, so the locked step is short.
    for (let round = 0; round < 2; round += 1) {
      const live = await livePositions(control, projection.name, topics, false);
      await reading.catchUpTo(live, options.catchUpTimeoutMs, 'catching up with the live projection');
    }
    const held = await hold.take(reading.partitions);
    await reading.catchUpTo(
      held,
      options.switchTimeoutMs ?? 30_000,
      'taking the last records while the live projection waits',
    );
    await reading.finish();

    const rebuilt = await shadow.rowCounts(projection.tables);
    // verify compares on a lane, idle now that reading has finished: control holds the live projection.
    const { heldMs, comparisons } =
      mode === 'verify'
        ? await compareWithLive(shadow.lanes[0]!, hold, shadow.name, projection.tables)
        : {
            heldMs: await switchToRebuilt(hold, projection.name, projection.tables, shadow.name, retired),
            comparisons: [],
          };
    // The tables the switch moved out; after a verify, any that a rebuild failing at this point left.
    await control.query(`DROP SCHEMA IF EXISTS ${ident(retired)} CASCADE`);
    const { applied, skipped } = reading.progress;
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
    await hold.abandon();
    await reading?.stop();
    await shadow.release();
  }
}
