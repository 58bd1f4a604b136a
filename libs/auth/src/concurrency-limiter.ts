import { OverloadedError } from '@parley/domain';

export interface ConcurrencyLimit {
  /** Tasks running at once. */
  readonly concurrency: number;
  /** Tasks waiting for a slot; one more is refused. */
  readonly queueLength: number;
}

export interface ConcurrencyLoad {
  readonly running: number;
  readonly waiting: number;
  /** The most that ever ran at once. */
  readonly peakRunning: number;
  /** Tasks refused because the queue was full. */
  readonly refused: number;
}

/**
 * At most `concurrency` tasks at once; up to `queueLength` more wait in arrival order; beyond that a
 * task is refused at once with an OverloadedError saying when the queue should have room again
 * (from the average time a task took). Nothing but promises and a clock: it does no I/O itself.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private peakRunning = 0;
  private refused = 0;
  private readonly waiting: (() => void)[] = [];
  private averageMs: number;

  constructor(
    private readonly limit: ConcurrencyLimit,
    private readonly refusal: (retryAfterMs: number) => string,
    private readonly now: () => number = Date.now,
    /** The guess for how long a task takes, until some have run. */
    initialEstimateMs = 100,
  ) {
    if (limit.concurrency < 1 || limit.queueLength < 0)
      throw new RangeError('a concurrency limit needs at least one slot and a queue of zero or more');
    this.averageMs = initialEstimateMs;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit.concurrency) {
      this.running++;
      this.peakRunning = Math.max(this.peakRunning, this.running);
    } else if (this.waiting.length < this.limit.queueLength) {
      // The task that finishes hands its slot over: `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.refused++;
      const retryAfterMs = this.retryAfterMs();
      throw new OverloadedError(this.refusal(retryAfterMs), retryAfterMs);
    }
    const started = this.now();
    try {
      return await task();
    } finally {
      // A moving average: recent tasks say most about how long the next ones take.
      this.averageMs = 0.8 * this.averageMs + 0.2 * Math.max(0, this.now() - started);
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get load(): ConcurrencyLoad {
    return {
      running: this.running,
      waiting: this.waiting.length,
      peakRunning: this.peakRunning,
      refused: this.refused,
    };
  }

  /** How long the work running and queued now should take, spread over the slots. */
  private retryAfterMs(): number {
    const ahead = this.running + this.waiting.length;
    return Math.max(1, Math.ceil((ahead / this.limit.concurrency) * this.averageMs));
  }
}
