/**
 * A send's place in its line: the sends one session makes to one conversation. Sends run
 * concurrently (claim, checks, encoding), but each is handed to the producer only after the one
 * before it in its line was handed over or gave up, so Kafka, and with it `seq`, keeps the order in
 * which the session sent them.
 */
export interface SendTurn {
  /** Resolves once every earlier send of the line was handed to the producer or gave up. */
  readonly ready: Promise<void>;
  /** This send was handed to the producer, or never will be: the next one may go. Idempotent. */
  done(): void;
}

/** The lines of sends on one node, each keyed by its session and conversation. */
export class SendLines {
  /** The last turn of each line; a line whose last turn is done is forgotten. */
  private readonly tails = new Map<string, Promise<void>>();

  join(line: string): SendTurn {
    const ready = this.tails.get(line) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    // Done only after its predecessors too, so a line's tail settles in order whatever finishes first.
    const settled = Promise.all([ready, mine]).then(() => {
      if (this.tails.get(line) === settled) this.tails.delete(line);
    });
    this.tails.set(line, settled);
    return { ready, done: () => release() };
  }

  /** Lines with a turn not yet done (for tests and metrics). */
  get open(): number {
    return this.tails.size;
  }
}
