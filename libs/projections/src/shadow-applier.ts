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

/**
 * Applies a topic's records to shadow tables on one connection (whose search_path names the shadow
 * schema first), chunk by chunk in transactions, the way the live runner does. Records at or above a
 * partition's limit are held until the limit rises. Batches are applied one at a time, in arrival order.
 */
export class ShadowApplier {
  private readonly partitions = new Map<string, PartitionState>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private failure: unknown;
  private appliedCount = 0;
  private skippedCount = 0;

  constructor(
    private readonly client: PoolClient,
    private readonly projection: Projection,
    private readonly serde: EventSerde,
    /** Re-drives meant for another consumer group are not this projection's. */
    private readonly accepts: (record: IncomingRecord) => boolean,
    private readonly onSkip: (record: IncomingRecord, reason: string) => void,
  ) {}

  /** Declares a partition, where reading it starts and (for verify) where applying stops for now. */
  track(topic: string, partition: number, start: bigint, limit: bigint | undefined): void {
    this.partitions.set(partitionKey(topic, partition), { applied: start, limit, held: [] });
  }

  get progress(): ApplierProgress {
    return { applied: this.appliedCount, skipped: this.skippedCount };
  }

  /** Takes a fetched batch of one partition; resolves once it has been applied or held. */
  accept(records: readonly IncomingRecord[]): Promise<void> {
    return this.enqueue(async () => {
      const first = records[0];
      if (!first) return;
      const state = this.stateOf(first.topic, first.partition);
      const ready: IncomingRecord[] = [];
      for (const record of records) {
        if (BigInt(record.offset) < state.applied) continue;
        if (state.limit !== undefined && (state.held.length > 0 || BigInt(record.offset) >= state.limit))
          state.held.push(record);
        else ready.push(record);
      }
      await this.apply(state, ready);
    });
  }

  /** Raises limits (never lowers them) and applies what was held below the new ones. */
  raiseLimits(limits: ReadonlyMap<string, bigint>): Promise<void> {
    return this.enqueue(async () => {
      for (const [key, limit] of limits) {
        const state = this.partitions.get(key);
        if (!state || state.limit === undefined || state.limit >= limit) continue;
        state.limit = limit;
        const released = state.held.filter((r) => BigInt(r.offset) < limit);
        state.held = state.held.slice(released.length);
        await this.apply(state, released);
      }
    });
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
    await this.chain;
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

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.closed || this.failure !== undefined) return;
      try {
        await work();
      } catch (error) {
        this.failure = error;
      }
    });
    this.chain = run;
    return run;
  }

  private async apply(state: PartitionState, records: readonly IncomingRecord[]): Promise<void> {
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
    if (!(await this.transaction(entries))) {
      // Find the record the database refuses, as the live runner does before dead-lettering it.
      for (const entry of entries) {
        if (!(await this.transaction([entry]))) {
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

  private async transaction(entries: readonly PositionedEvent[]): Promise<boolean> {
    if (entries.length === 0) return true;
    try {
      await this.client.query('BEGIN');
      await applyEntries(this.client, this.projection, entries);
      await this.client.query('COMMIT');
      return true;
    } catch (error) {
      await this.client.query('ROLLBACK');
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
