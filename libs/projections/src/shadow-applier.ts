import type { PoolClient } from 'pg';
import type { EventSerde } from '@parley/events';
import type { IncomingRecord } from '@parley/kafka';
import { applyEntries, type PositionedEvent } from './apply-entries';
import type { Projection } from './projection';

export const partitionKey = (topic: string, partition: number): string => `${topic}#${partition}`;

interface PartitionState {
  /** The next offset not yet applied. */
  applied: bigint;
  /** Records at or above it wait (verify must stop exactly where the live projection is). */
  limit: bigint | undefined;
  held: IncomingRecord[];
}

export interface ApplierProgress {
  readonly applied: number;
  /** Records the live projection dead-letters too: undecodable or refused by the database. */
  readonly skipped: number;
}

interface Lane {
  readonly client: PoolClient;
  chain: Promise<void>;
  queued: number;
}

/** Batches a lane may have waiting before the reader is held back (memory stays bounded). */
const LANE_BACKLOG = 2;
/** Records held above the limits (verify) before giving up: memory stays bounded there too. */
export const MAX_HELD_RECORDS = 200_000;

/**
 * Applies a topic's records to shadow tables, chunk by chunk in transactions, the way the live runner
 * does, on connections whose search_path names the shadow schema first. Each partition keeps to one
 * connection (a lane), so its chunks apply in order while other partitions apply on the others and
 * the next batches are fetched and decoded meanwhile. Records at or above a partition's limit are held
 * until the limit rises.
 */
export class ShadowApplier {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly lanes: Lane[];
  private closed = false;
  private failure: unknown;
  private appliedCount = 0;
  private heldCount = 0;
  private skippedCount = 0;

  constructor(
    clients: readonly PoolClient[],
    private readonly projection: Projection,
    private readonly serde: EventSerde,
    /** Re-drives meant for another consumer group are not this projection's. */
    private readonly accepts: (record: IncomingRecord) => boolean,
    private readonly onSkip: (record: IncomingRecord, reason: string) => void,
  ) {
    this.lanes = clients.map((client) => ({ client, chain: Promise.resolve(), queued: 0 }));
  }

  /** Declares a partition, where reading it starts and (for verify) where applying stops for now. */
  track(topic: string, partition: number, start: bigint, limit: bigint | undefined): void {
    this.partitions.set(partitionKey(topic, partition), { applied: start, limit, held: [] });
  }

  get progress(): ApplierProgress {
    return { applied: this.appliedCount, skipped: this.skippedCount };
  }

  /** Takes a fetched batch of one partition; resolves when its lane has room for more. */
  accept(records: readonly IncomingRecord[]): Promise<void> {
    const first = records[0];
    if (!first) return Promise.resolve();
    return this.enqueue(partitionKey(first.topic, first.partition), async (client) => {
      const state = this.stateOf(first.topic, first.partition);
      const ready: IncomingRecord[] = [];
      for (const record of records) {
        if (BigInt(record.offset) < state.applied) continue;
        if (state.limit !== undefined && (state.held.length > 0 || BigInt(record.offset) >= state.limit)) {
          state.held.push(record);
          this.heldCount += 1;
        } else ready.push(record);
      }
      if (this.heldCount > MAX_HELD_RECORDS)
        throw new Error(
          `the live projection is more than ${MAX_HELD_RECORDS.toLocaleString('en-US')} records behind the topics: let it catch up (npm run parley -- offsets show) and verify again`,
        );
      await this.apply(client, state, ready);
    });
  }

  /** Raises limits (never lowers them) and applies what was held below the new ones. */
  async raiseLimits(limits: ReadonlyMap<string, bigint>): Promise<void> {
    for (const [key, limit] of limits) {
      await this.enqueue(key, async (client) => {
        const state = this.partitions.get(key);
        if (!state || state.limit === undefined || state.limit >= limit) return;
        state.limit = limit;
        const released = state.held.filter((r) => BigInt(r.offset) < limit);
        state.held = state.held.slice(released.length);
        this.heldCount -= released.length;
        await this.apply(client, state, released);
      });
    }
    await Promise.all(this.lanes.map((lane) => lane.chain));
  }

  /**
   * Whether every partition got as far as `targets` (next offsets). A held record at or beyond a
   * target means everything below it was seen: a compacted topic has gaps.
   */
  reached(targets: ReadonlyMap<string, bigint>): { done: boolean; behind: string[] } {
    if (this.failure !== undefined) throw this.failure;
    const behind: string[] = [];
    for (const [key, target] of targets) {
      const state = this.partitions.get(key);
      if (!state) continue;
      const heldFrom = state.held[0] ? BigInt(state.held[0].offset) : undefined;
      const frontier = heldFrom !== undefined && heldFrom >= target ? target : state.applied;
      if (frontier < target) behind.push(`${key} at ${frontier} of ${target}`);
    }
    return { done: behind.length === 0, behind };
  }

  /** Stops taking records; resolves when what was taken is applied. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.lanes.map((lane) => lane.chain));
    if (this.failure !== undefined) throw this.failure;
  }

  private stateOf(topic: string, partition: number): PartitionState {
    const key = partitionKey(topic, partition);
    let state = this.partitions.get(key);
    if (!state) {
      state = { applied: 0n, limit: undefined, held: [] };
      this.partitions.set(key, state);
    }
    return state;
  }

  private enqueue(key: string, work: (client: PoolClient) => Promise<void>): Promise<void> {
    let hash = 0;
    for (let i = 0; i < key.length; i += 1) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
    const lane = this.lanes[hash % this.lanes.length]!;
    lane.queued += 1;
    const run = lane.chain.then(async () => {
      try {
        if (this.closed || this.failure !== undefined) return;
        await work(lane.client);
      } catch (error) {
        this.failure = error;
      } finally {
        lane.queued -= 1;
      }
    });
    lane.chain = run;
    return lane.queued > LANE_BACKLOG ? run : Promise.resolve();
  }

  private async apply(
    client: PoolClient,
    state: PartitionState,
    records: readonly IncomingRecord[],
  ): Promise<void> {
    const last = records[records.length - 1];
    if (!last) return;
    const entries: PositionedEvent[] = [];
    for (const record of records) {
      if (!this.accepts(record)) continue;
      try {
        entries.push({
          event: await this.serde.decode(record.value ?? Buffer.alloc(0)),
          position: { topic: record.topic, partition: record.partition, offset: record.offset },
        });
      } catch (error) {
        this.skip(record, `does not decode: ${(error as Error).message}`);
      }
    }
    if (!(await this.transaction(client, entries))) {
      // Find the record the database refuses, as the live runner does before dead-lettering it.
      for (const entry of entries) {
        if (!(await this.transaction(client, [entry]))) {
          const { topic, partition, offset } = entry.position;
          this.skip(
            records.find((r) => r.topic === topic && r.partition === partition && r.offset === offset) ??
              last,
            `refused by the database (${entry.event.type} ${entry.event.eventId})`,
          );
        }
      }
    }
    state.applied = BigInt(last.offset) + 1n;
    this.appliedCount += records.length;
  }

  private async transaction(client: PoolClient, entries: readonly PositionedEvent[]): Promise<boolean> {
    if (entries.length === 0) return true;
    try {
      await client.query('BEGIN');
      await applyEntries(client, this.projection, entries);
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK');
      if (refusedByData(error)) return false;
      throw error;
    }
  }

  private skip(record: IncomingRecord, reason: string): void {
    this.skippedCount += 1;
    this.onSkip(record, reason);
  }
}

/** Data exceptions (22) and integrity violations (23) are about the record; anything else is ours. */
function refusedByData(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
