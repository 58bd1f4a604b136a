/**
 * Gathers the chunks that a consumer's partitions hand over at the same moment (kafkajs gives each
 * partition of a fetch to its own worker in the same turn of the event loop) so that they can be
 * applied together: one transaction and one commit for a fetch instead of one per partition
 * (docs/decisions.md, "Session 18"). At everyday rates a lagging projection's fetch holds a record or
 * two on each of several partitions, and each commit wakes PostgreSQL about four times.
 *
 * One gathering is applied at a time: chunks that arrive meanwhile wait for the next one, so two
 * transactions of the same consumer never hold locks at once (as with one partition at a time).
 * A gathering of one chunk, or one that `together` did not commit (it answered false or threw), is
 * applied chunk by chunk with `alone`, one after another, each chunk settling with its own outcome:
 * a chunk that fails fails alone, as it would have without gathering.
 */
export class ChunkGatherer<Chunk> {
  private waiting: { chunk: Chunk; settle: (error?: unknown) => void }[] = [];
  private scheduled = false;
  private applying: Promise<void> | undefined;

  constructor(
    /** Applies every chunk in one transaction; true when it committed, false when it changed nothing. */
    private readonly together: (chunks: readonly Chunk[]) => Promise<boolean>,
    /** Applies one chunk in its own transaction. */
    private readonly alone: (chunk: Chunk) => Promise<void>,
    /** Told when `together` threw (then each chunk is applied alone): to log it. */
    private readonly failedTogether: (error: unknown, chunks: readonly Chunk[]) => void = () => undefined,
    /** When a gathering closes: after the other partitions of the same fetch have handed theirs over. */
    private readonly later: (run: () => void) => void = setImmediate,
  ) {}

  /** Settles when the chunk is committed (with others or alone), or fails with its own error. */
  add(chunk: Chunk): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({
        chunk,
        settle: (error) =>
          error === undefined
            ? resolve()
            : reject(error instanceof Error ? error : new Error('the chunk failed', { cause: error })),
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.applying) return;
    this.scheduled = true;
    this.later(() => {
      this.scheduled = false;
      const gathered = this.waiting;
      this.waiting = [];
      this.applying = this.apply(gathered).finally(() => {
        this.applying = undefined;
        if (this.waiting.length > 0) this.schedule();
      });
    });
  }

  private async apply(
    gathered: readonly { chunk: Chunk; settle: (error?: unknown) => void }[],
  ): Promise<void> {
    if (gathered.length > 1) {
      let committed = false;
      const chunks = gathered.map((g) => g.chunk);
      try {
        committed = await this.together(chunks);
      } catch (error) {
        // Which chunk failed, and whether for good, is found out by applying each on its own.
        try {
          this.failedTogether(error, chunks);
        } catch {
          // Only a report: the chunks are applied alone all the same.
        }
      }
      if (committed) {
        for (const g of gathered) g.settle();
        return;
      }
    }
    for (const g of gathered) {
      try {
        await this.alone(g.chunk);
        g.settle();
      } catch (error) {
        g.settle(error ?? new Error('the chunk failed'));
      }
    }
  }
}
