/** What the inbox keeps between runs: the resume position and the recently seen items. */
export interface InboxCursorState {
  /** The highest position up to which every item was handled and ACKed. */
  readonly position?: number;
  /** Keys of the latest items handled (`m:<messageId>`, `d:<messageId>`, `e:<messageId>:<editId>`), oldest first. */
  readonly seen?: readonly string[];
  /** `sentAt` of the newest message handled: where a `gap` backfill starts. */
  readonly lastSentAt?: string;
}

/**
 * Where this device stands in its inbox (PROTOCOL §3.4), as pure bookkeeping:
 * - the resume position: the highest N with every item up to N handled, which the next SUBSCRIBE
 *   passes as `from-position` (items handled out of order wait above it until the hole fills);
 * - duplicates: items come at least once (redelivery, replay after a reconnect), so the keys of the
 *   last `capacity` items are remembered and an item seen before is dropped.
 */
export class InboxCursor {
  private base: number | undefined;
  private readonly above = new Set<number>();
  private readonly seen: Set<string>;
  private newestSentAt: string | undefined;

  constructor(
    state: InboxCursorState = {},
    private readonly capacity = 5_000,
  ) {
    this.base = state.position;
    this.seen = new Set(state.seen ?? []);
    this.newestSentAt = state.lastSentAt;
  }

  /** The position to resume after, if one is known. */
  get position(): number | undefined {
    return this.base;
  }

  get lastSentAt(): string | undefined {
    return this.newestSentAt;
  }

  /** The dedupe key of an item: messages, deletions and each edit are told apart (PROTOCOL §3.4). */
  static keyOf(kind: 'message' | 'deleted', messageId: string): string;
  static keyOf(kind: 'edited', messageId: string, editId: string): string;
  static keyOf(kind: 'message' | 'deleted' | 'edited', messageId: string, editId?: string): string {
    if (kind === 'edited') return `e:${messageId}:${editId ?? ''}`;
    return `${kind === 'message' ? 'm' : 'd'}:${messageId}`;
  }

  hasSeen(key: string): boolean {
    return this.seen.has(key);
  }

  /** Remembers an item handled (its key, and for a message the time it was sent). */
  remember(key: string, sentAt?: string): void {
    this.seen.delete(key);
    this.seen.add(key);
    while (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value as string);
    if (sentAt !== undefined && (this.newestSentAt === undefined || sentAt > this.newestSentAt))
      this.newestSentAt = sentAt;
  }

  /**
   * The item at `position` was handled and ACKed. The first position a device with no stored one
   * sees starts its count (the server starts a new device after what the user's devices ACKed).
   */
  handled(position: number): void {
    if (this.base === undefined) this.base = position - 1;
    if (position <= this.base) return;
    this.above.add(position);
    while (this.above.delete(this.base + 1)) this.base += 1;
  }

  /** A `gap` item: the positions up to `toPosition` are gone from the inbox and backfilled. */
  skipTo(toPosition: number): void {
    if (this.base !== undefined && toPosition <= this.base) return;
    this.base = toPosition;
    for (const position of this.above) if (position <= toPosition) this.above.delete(position);
    while (this.above.delete(this.base + 1)) this.base += 1;
  }

  toState(): InboxCursorState {
    return {
      ...(this.base !== undefined ? { position: this.base } : {}),
      seen: [...this.seen],
      ...(this.newestSentAt !== undefined ? { lastSentAt: this.newestSentAt } : {}),
    };
  }
}
