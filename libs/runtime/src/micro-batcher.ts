export interface MicroBatcherOptions {
  /** Most items in one batch. */
  readonly maxBatch?: number;
  /**
   * One batch at a time: items arriving meanwhile wait for the next batch. For read-modify-write
   * state (a rate limit), so two batches never read the same old state.
   */
  readonly serial?: boolean;
  /**
   * Waits this long after the first item of a batch for more (default 0: the same turn only). For
   * work off anybody's path that is worth doing for many items at once (bookkeeping marks), so that at
   * everyday rates it is one statement every so often instead of one per item.
   */
  readonly lingerMs?: number;
}

/**
 * Gathers calls made in the same turn of the event loop into one batch, so that N concurrent sends
 * cost one SQL statement or one Redis round trip instead of N (DESIGN: batch at every stage).
 * `run` answers the items in order; if it throws, every item of the batch gets the error.
 */
export class MicroBatcher<I, O> {
  private pending: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private running = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly serial: boolean;
  private readonly lingerMs: number;

  constructor(
    private readonly run: (items: readonly I[]) => Promise<readonly O[]>,
    options: MicroBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1_000;
    this.serial = options.serial ?? false;
    this.lingerMs = options.lingerMs ?? 0;
  }

  /** Resolves once every item submitted so far has its answer (for a graceful shutdown). */
  drained(): Promise<void> {
    if (this.pending.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || (this.serial && this.running) || this.pending.length === 0) return;
    this.scheduled = true;
    if (this.lingerMs > 0) setTimeout(() => this.flush(), this.lingerMs);
    else setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0 && !(this.serial && this.running)) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.running = true;
      this.inFlight++;
      this.run(batch.map((entry) => entry.item))
        .then(
          (results) => {
            batch.forEach((entry, i) => {
              if (i < results.length) entry.resolve(results[i] as O);
              else entry.reject(new Error('batch answered fewer items than it was given'));
            });
          },
          (error: unknown) => {
            for (const entry of batch) entry.reject(error);
          },
        )
        .finally(() => {
          this.running = false;
          this.inFlight--;
          this.schedule();
          if (this.pending.length === 0 && this.inFlight === 0) {
            for (const resolve of this.idleWaiters.splice(0)) resolve();
          }
        });
    }
  }
}
