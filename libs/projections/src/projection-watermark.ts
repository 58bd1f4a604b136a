import type { Pool } from 'pg';

export interface ProjectionWatermarkOptions {
  /** How long one wait may take before the caller goes on with what the read model holds. */
  readonly timeoutMs?: number;
  /** How often the position is read again while waiting. */
  readonly pollMs?: number;
}

/**
 * How far a projection has applied each partition, for a reader of its read model that follows the
 * same topic in a consumer group of its own and must not read ahead of it. (The live relay answers a
 * `MessageRead` with the messages it covers; those rows are written by the messages projection, which
 * may be a moment behind the relay.)
 *
 * Positions only move forward in normal running, so the highest one seen is remembered and a wait
 * that is already satisfied costs no query. A partition whose wait timed out (its projector stopped,
 * say) is not waited for again until its position is seen to move, so one stalled projector delays
 * the reader once, not at every event.
 */
export class ProjectionWatermark {
  private readonly applied = new Map<string, bigint>();
  private readonly stalled = new Set<string>();
  private readonly timeoutMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly projection: string,
    options: ProjectionWatermarkOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.pollMs = options.pollMs ?? 20;
  }

  /**
   * Resolves `true` once the projection has applied the partition's records up to and including
   * `offset`, or `false` when it has not after the timeout.
   */
  async reached(topic: string, partition: number, offset: bigint): Promise<boolean> {
    const key = `${topic}\u0000${partition}`;
    const deadline = Date.now() + (this.stalled.has(key) ? 0 : this.timeoutMs);
    for (;;) {
      if ((this.applied.get(key) ?? -1n) > offset) return true;
      const before = this.applied.get(key);
      const next = await this.read(topic, partition);
      if (next > (before ?? -1n)) {
        this.applied.set(key, next);
        this.stalled.delete(key);
      }
      if (next > offset) return true;
      if (Date.now() >= deadline) {
        this.stalled.add(key);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  private async read(topic: string, partition: number): Promise<bigint> {
    const { rows } = await this.pool.query<{ next_offset: string }>({
      name: 'projection_watermark',
      text: 'SELECT next_offset FROM consumer_positions WHERE projection = $1 AND topic = $2 AND partition = $3',
      values: [this.projection, topic, partition],
    });
    return BigInt(rows[0]?.next_offset ?? '-1');
  }
}
