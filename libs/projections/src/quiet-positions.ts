import type { Projection, EventPosition } from './projection';
import type { ParleyEvent } from '@parley/events';

/**
 * Whether a chunk of one partition's events changes any row of the projection. Most consumers read
 * topics that carry many event types they ignore (the inbox projection and every `MessageDelivered`,
 * say): such a chunk needs no transaction, only its position, and that can wait (see QuietPositions).
 * A projection whose chunk makes no statements makes none for any suffix of it either (the runner
 * may drop records below its stored position), which holds for every projection that maps events
 * to statements one by one or by type.
 */
export function changesRows(
  projection: Projection,
  entries: readonly { event: ParleyEvent; position: EventPosition }[],
): boolean {
  if (projection.applyChunk) return projection.applyChunk(entries).length > 0;
  return entries.some(({ event, position }) => projection.apply(event, position).length > 0);
}

export interface QuietPosition {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read, past the quiet records. */
  readonly nextOffset: bigint;
}

/**
 * The positions reached by chunks that changed nothing, kept until they are written in one
 * statement every so often. Losing them (a crash) only means reading those records again, and they
 * change nothing; a position only ever moves forward (the write takes the greater one), so a late
 * write never undoes a transaction's or a rebuild's.
 */
export class QuietPositions {
  private readonly pending = new Map<string, QuietPosition>();

  /** A chunk that changed nothing ends before `nextOffset`. */
  passed(topic: string, partition: number, nextOffset: bigint): void {
    const key = `${topic}\0${partition}`;
    const known = this.pending.get(key);
    if (!known || known.nextOffset < nextOffset) this.pending.set(key, { topic, partition, nextOffset });
  }

  /** A transaction wrote the position up to `nextOffset`: what it covers needs no separate write. */
  written(topic: string, partition: number, nextOffset: bigint): void {
    const key = `${topic}\0${partition}`;
    const known = this.pending.get(key);
    if (known && known.nextOffset <= nextOffset) this.pending.delete(key);
  }

  /** Everything pending, handed over for writing (give it back with `passed` if the write fails). */
  take(): QuietPosition[] {
    const all = [...this.pending.values()];
    this.pending.clear();
    return all;
  }

  get size(): number {
    return this.pending.size;
  }
}
