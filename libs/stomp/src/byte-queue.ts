const EMPTY = Buffer.alloc(0);
const MIN_CAPACITY = 256;

/**
 * The bytes received and not yet consumed, with offsets counted from the first of them. Appending is
 * amortised O(1) per byte: the store doubles when it is more than half full of live bytes, and is
 * compacted otherwise (a compaction moves at most as many bytes as were consumed since the last one).
 *
 * A chunk that arrives while the queue is empty is used in place (no copy); `release()` copies what
 * is left of it, so the queue never keeps a caller's buffer alive, or sees it change, after a push.
 */
export class ByteQueue {
  private store: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** False while `store` is a caller's chunk: it may be read, never written to. */
  private owned = false;

  get length(): number {
    return this.end - this.start;
  }

  append(data: Buffer): void {
    if (data.length === 0) return;
    if (this.length === 0) {
      this.store = data;
      this.start = 0;
      this.end = data.length;
      this.owned = false;
      return;
    }
    if (!this.owned || this.end + data.length > this.store.length) this.makeRoom(data.length);
    data.copy(this.store, this.end);
    this.end += data.length;
  }

  /** The byte at `offset`, or undefined past the end. */
  at(offset: number): number | undefined {
    return offset < this.length ? this.store[this.start + offset] : undefined;
  }

  /** Where `byte` first occurs at or after `from`, or -1; only the bytes from `from` on are read. */
  indexOf(byte: number, from: number): number {
    if (from >= this.length) return -1;
    return this.store.subarray(this.start, this.end).indexOf(byte, from);
  }

  text(from: number, to: number): string {
    return this.store.toString('utf8', this.start + from, this.start + to);
  }

  /** A copy, so that what is handed out never pins the store. */
  copy(from: number, to: number): Buffer {
    return Buffer.from(this.store.subarray(this.start + from, this.start + to));
  }

  consume(count: number): void {
    this.start += count;
    if (this.start >= this.end) this.clear();
  }

  clear(): void {
    this.store = EMPTY;
    this.start = 0;
    this.end = 0;
    this.owned = false;
  }

  /** Ends a push: the bytes still held are copied out of the caller's chunk, if they are in one. */
  release(): void {
    if (!this.owned && this.length > 0)
      this.moveTo(Buffer.allocUnsafe(Math.max(MIN_CAPACITY, this.length * 2)));
  }

  private makeRoom(extra: number): void {
    const live = this.length;
    const needed = live + extra;
    if (this.owned && needed <= this.store.length && this.start >= live) {
      // Compaction: paid for by the `start` bytes consumed since the store was last (re)filled.
      this.store.copy(this.store, 0, this.start, this.end);
      this.start = 0;
      this.end = live;
      return;
    }
    // Growth at least doubles an owned store, so the copies it costs add up to O(bytes received).
    const capacity = this.owned ? Math.max(2 * this.store.length, needed) : 2 * needed;
    this.moveTo(Buffer.allocUnsafe(Math.max(MIN_CAPACITY, capacity)));
  }

  private moveTo(store: Buffer): void {
    const live = this.length;
    this.store.copy(store, 0, this.start, this.end);
    this.store = store;
    this.start = 0;
    this.end = live;
    this.owned = true;
  }
}
