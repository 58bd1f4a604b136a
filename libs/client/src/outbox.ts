import { DEFAULT_RETRY_BACKOFF, type BackoffPolicy } from './backoff';
import { decideOnRefusal, planSends, type OutboxEntry } from './outbox-plan';
import { DESTINATIONS, type WireRefusal } from './protocol';
import type { ClientStorage } from './storage';
import { WritableStore, type ReadableStore } from './store';

/** What the outbox needs of a live connection. */
export interface SendLink {
  /** SENDs `body` to `destination` with a `receipt` header; `onReceipt` runs when its RECEIPT comes. */
  sendWithReceipt(destination: string, body: string, receiptId: string, onReceipt: () => void): void;
}

export interface OutboxOptions {
  /** Messages in flight at once, over all conversations (default 32; one per conversation). */
  readonly maxInFlight?: number;
  /** No RECEIPT nor refusal within this time: sent again with the same `messageId` (default 30 s). */
  readonly receiptTimeoutMs?: number;
  /** Waits between attempts when the server gave no `retryAfterMs`. */
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  /** A message Parley recorded (its RECEIPT came); it has left the outbox. */
  readonly onSent?: (entry: OutboxEntry) => void;
  /** A message refused for a reason retrying cannot fix. */
  readonly onFailed?: (entry: OutboxEntry) => void;
}

/** A message the app hands to the outbox. */
export interface OutboxDraft {
  readonly messageId: string;
  readonly conversationId: string;
  readonly recipientId?: string;
  readonly text: string;
}

const KEY_PREFIX = 'outbox/';
/**
 * An entry's storage key: its order, then its messageId. The messageId makes the key unique, so two
 * tabs of one user sharing one storage never write over (or, on a RECEIPT, delete) each other's
 * entries, as keys from each tab's own counter did.
 */
const keyOf = (entry: Pick<OutboxEntry, 'order' | 'messageId'>) =>
  `${KEY_PREFIX}${String(entry.order).padStart(16, '0')}/${entry.messageId}`;

/**
 * Orders from the clock (microseconds) when it is ahead of the counter: tabs and restarts that share a
 * storage hand out increasing orders without talking to each other; the counter keeps them strictly
 * increasing within one outbox.
 */
const orderAfter = (last: number, nowMs: number) => Math.max(last + 1, nowMs * 1000);

interface InFlight {
  readonly receiptId: string;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The persisted outbox. Every message is written to storage before it is sent, keeps its
 * `messageId` for every attempt, and leaves only with its RECEIPT (or when the app discards it after
 * a final refusal). While there is no connection it waits; on each new connection what was in
 * flight is sent again. See {@link planSends} for the order and {@link decideOnRefusal} for retries.
 */
export class Outbox {
  private readonly store = new WritableStore<readonly OutboxEntry[]>([]);
  /** Every entry, sent or waiting, by `messageId`. */
  private readonly byId = new Map<string, OutboxEntry>();
  private readonly inFlight = new Map<string, InFlight>();
  private link: SendLink | undefined;
  private lastOrder = 0;
  private pausedUntil: number | undefined;
  private wake: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private closed = false;
  private readonly maxInFlight: number;
  private readonly receiptTimeoutMs: number;

  constructor(
    private readonly storage: ClientStorage,
    private readonly options: OutboxOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 32;
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 30_000;
  }

  /** The entries, oldest first: messages not yet recorded, and failed ones the app has not discarded. */
  get entries(): ReadableStore<readonly OutboxEntry[]> {
    return this.store;
  }

  /** Reads what a previous run left in storage. Call once, before anything else. */
  async load(): Promise<void> {
    for (const [, entry] of await this.storage.entries<OutboxEntry>(KEY_PREFIX)) {
      this.byId.set(entry.messageId, entry);
      this.lastOrder = Math.max(this.lastOrder, entry.order);
    }
    this.publish();
  }

  /** Persists the message, then sends it as soon as its turn comes. Resolves once it is stored. */
  async enqueue(draft: OutboxDraft): Promise<OutboxEntry> {
    if (this.byId.has(draft.messageId)) return this.byId.get(draft.messageId)!;
    // The order is taken before the first await, so it follows the order of the app's calls.
    const entry: OutboxEntry = {
      messageId: draft.messageId,
      conversationId: draft.conversationId,
      ...(draft.recipientId !== undefined ? { recipientId: draft.recipientId } : {}),
      text: draft.text,
      order: (this.lastOrder = orderAfter(this.lastOrder, Date.now())),
      createdAt: new Date().toISOString(),
      attempts: 0,
      notBefore: 0,
    };
    this.byId.set(entry.messageId, entry);
    this.unsaved.add(entry.messageId);
    this.publish();
    try {
      await this.storage.set(keyOf(entry), entry);
    } catch (error) {
      this.byId.delete(entry.messageId);
      this.publish();
      throw error;
    } finally {
      this.unsaved.delete(entry.messageId);
    }
    this.pump();
    return entry;
  }

  /**
   * Entries not yet in storage: not sent until they are (a message goes out only once it survives a
   * crash), and they hold back the ones behind them in their conversation like a send in flight.
   */
  private readonly unsaved = new Set<string>();

  /** A connection is up: what was waiting goes out. */
  attach(link: SendLink): void {
    this.link = link;
    this.attempt += 1;
    this.pump();
  }

  /** The connection is gone: what was in flight is sent again on the next one. */
  detach(): void {
    this.link = undefined;
    for (const flight of this.inFlight.values()) clearTimeout(flight.timer);
    this.inFlight.clear();
  }

  /** A refusal from `/user/queue/errors`; true when it was one of the outbox's sends. */
  handleRefusal(refusal: WireRefusal): boolean {
    const messageId = [...this.inFlight.entries()].find(
      ([, flight]) => refusal.receiptId !== undefined && flight.receiptId === refusal.receiptId,
    )?.[0];
    if (messageId === undefined) return false;
    this.settle(messageId, refusal);
    return true;
  }

  /**
   * Puts a failed message back in line, at the end of its conversation: the messages written after it
   * were recorded meanwhile, so it is recorded after them (its place in the conversation is where it
   * lands, as for any send).
   */
  async retry(messageId: string): Promise<void> {
    const entry = this.byId.get(messageId);
    if (!entry?.failure) return;
    const { failure: _failure, ...rest } = entry;
    const order = (this.lastOrder = orderAfter(this.lastOrder, Date.now()));
    await this.save({ ...rest, order, attempts: 0, notBefore: 0 });
    await this.storage.delete(keyOf(entry)).catch(() => undefined);
    this.pump();
  }

  /** Removes a message that has not been recorded (typically a failed one). */
  async discard(messageId: string): Promise<void> {
    const entry = this.byId.get(messageId);
    if (!entry || this.inFlight.has(messageId)) return;
    this.byId.delete(messageId);
    this.publish();
    await this.storage.delete(keyOf(entry));
  }

  close(): void {
    this.closed = true;
    this.detach();
    if (this.wake) clearTimeout(this.wake);
  }

  private pump(): void {
    if (this.closed || !this.link) return;
    const now = Date.now();
    const busy = new Set([...this.inFlight.keys(), ...this.unsaved]);
    const plan = planSends([...this.byId.values()], busy, now, {
      maxInFlight: this.maxInFlight,
      ...(this.pausedUntil !== undefined ? { pausedUntil: this.pausedUntil } : {}),
    });
    for (const entry of plan.send) this.sendNow(entry);
    if (this.wake) clearTimeout(this.wake);
    this.wake =
      plan.wakeAt === undefined
        ? undefined
        : setTimeout(() => this.pump(), Math.max(0, plan.wakeAt - Date.now()));
  }

  private sendNow(entry: OutboxEntry): void {
    const link = this.link!;
    const receiptId = `send:${entry.messageId}:${this.attempt}:${entry.attempts}`;
    const timer = setTimeout(
      () => this.settle(entry.messageId, { code: 'TIMEOUT', message: 'no RECEIPT in time' }),
      this.receiptTimeoutMs,
    );
    this.inFlight.set(entry.messageId, { receiptId, timer });
    const body = JSON.stringify({
      messageId: entry.messageId,
      ...(entry.recipientId !== undefined
        ? { recipientId: entry.recipientId }
        : { conversationId: entry.conversationId }),
      text: entry.text,
    });
    link.sendWithReceipt(DESTINATIONS.send, body, receiptId, () => {
      if (this.inFlight.get(entry.messageId)?.receiptId === receiptId) this.settle(entry.messageId);
    });
  }

  /** The end of an attempt: recorded (no refusal), or refused. */
  private settle(
    messageId: string,
    refusal?: { code: string; message: string; retryAfterMs?: number },
  ): void {
    const flight = this.inFlight.get(messageId);
    if (flight) clearTimeout(flight.timer);
    this.inFlight.delete(messageId);
    const entry = this.byId.get(messageId);
    if (!entry) return;
    if (!refusal) {
      this.byId.delete(messageId);
      this.publish();
      this.options.onSent?.(entry);
      void this.storage.delete(keyOf(entry)).catch(() => undefined);
    } else {
      const decision = decideOnRefusal(
        entry,
        refusal,
        Date.now(),
        this.options.backoff ?? DEFAULT_RETRY_BACKOFF,
        this.options.random,
      );
      if (decision.kind === 'fail') {
        const failed = { ...entry, failure: { code: refusal.code, message: refusal.message } };
        void this.save(failed).catch(() => undefined);
        this.options.onFailed?.(failed);
      } else {
        if (decision.pauseAllUntil !== undefined)
          this.pausedUntil = Math.max(this.pausedUntil ?? 0, decision.pauseAllUntil);
        void this.save({ ...entry, attempts: entry.attempts + 1, notBefore: decision.notBefore }).catch(
          () => undefined,
        );
      }
    }
    this.pump();
  }

  /** Replaces an entry in memory at once (the next plan sees it) and in storage. */
  private async save(entry: OutboxEntry): Promise<void> {
    this.byId.set(entry.messageId, entry);
    this.publish();
    await this.storage.set(keyOf(entry), entry);
  }

  private publish(): void {
    this.store.set([...this.byId.values()].sort((a, b) => a.order - b.order));
  }
}
