import type { PoolClient } from 'pg';
import type { EventSerde } from '@parley/events';
import { isForGroup, readRange, type IncomingRecord, type KafkaClient } from '@parley/kafka';
import type { Projection } from './projection';
import { ShadowApplier, partitionKey, type ApplierProgress } from './shadow-applier';

export interface ShadowReadingOptions {
  readonly kafka: KafkaClient;
  readonly serde: EventSerde;
  readonly projection: Projection;
  /** The live projection's consumer group: records re-driven for another group are not applied. */
  readonly groupId: string;
  readonly onProgress?: (progress: ApplierProgress & { readonly total: number }) => void;
  readonly onSkip?: (record: IncomingRecord, reason: string) => void;
}

export interface PlannedPartition {
  readonly topic: string;
  readonly partition: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The projection's topics read from the beginning into the shadow tables (over the lanes, by a
 * ShadowApplier), following them until stopped. A verify's reading is limited: each partition stops
 * where the live projection stands, and goes further only as far as `catchUpTo` lets it.
 */
export class ShadowReading {
  private readonly applier: ShadowApplier;
  private readonly readers: Promise<void>[] = [];
  private readonly stopped: Promise<void>;
  private stopReading: () => void = () => undefined;
  private failure: unknown;
  private limited = false;
  private readonly planned: PlannedPartition[] = [];
  /** Where each partition's reading ends: the topic's end when reading began, or the verify's limit. */
  private readonly ends = new Map<string, bigint>();
  private total = 0;

  constructor(
    lanes: readonly PoolClient[],
    private readonly options: ShadowReadingOptions,
  ) {
    this.applier = new ShadowApplier(
      lanes,
      options.projection,
      options.serde,
      (record) => isForGroup(record, options.groupId),
      options.onSkip ?? (() => undefined),
    );
    this.stopped = new Promise<void>((resolve) => (this.stopReading = resolve));
  }

  /**
   * Starts a reader on each topic; resolves once every one has planned its partitions. `limits` (by
   * partition key; verify only) are where the live projection stands: partitions without one are 0.
   */
  async start(topics: readonly string[], limits: ReadonlyMap<string, bigint> | undefined): Promise<void> {
    this.limited = limits !== undefined;
    await Promise.all(
      topics.map(
        (topic) =>
          new Promise<void>((planned, failed) => {
            const reader = readRange(this.options.kafka, {
              topic,
              from: { kind: 'beginning' },
              follow: true,
              onBatch: (records) => this.applier.accept(records),
              onPlan: (plan) => {
                for (const p of plan) {
                  const key = partitionKey(topic, p.partition);
                  const limit = limits ? (limits.get(key) ?? 0n) : undefined;
                  this.applier.track(topic, p.partition, p.start, limit);
                  this.planned.push({ topic, partition: p.partition });
                  this.ends.set(key, limit ?? p.end);
                  this.total += Number(p.end - p.start);
                }
                planned();
              },
              until: this.stopped,
            });
            this.readers.push(
              reader.catch((error: unknown) => {
                this.failure = error;
                failed(error instanceof Error ? error : new Error(String(error)));
              }),
            );
          }),
      ),
    );
  }

  /** Every partition the readers planned. */
  get partitions(): readonly PlannedPartition[] {
    return this.planned;
  }

  get progress(): ApplierProgress {
    return this.applier.progress;
  }

  /** Waits until every partition is applied up to where its reading was planned to end. */
  reachPlannedEnds(timeoutMs: number | undefined): Promise<void> {
    return this.waitFor(this.ends, timeoutMs, 'reading the topics');
  }

  /**
   * Waits until every partition is applied up to `targets` (next offsets); a limited reading's
   * limits are raised to them first.
   */
  async catchUpTo(
    targets: ReadonlyMap<string, bigint>,
    timeoutMs: number | undefined,
    what: string,
  ): Promise<void> {
    if (this.limited) await this.applier.raiseLimits(targets);
    await this.waitFor(targets, timeoutMs, what);
  }

  /** Takes no more records; resolves when those taken are applied, and fails if any could not be. */
  finish(): Promise<void> {
    return this.applier.close();
  }

  /** Stops the readers and the applier, after a failure too: their errors were reported already. */
  async stop(): Promise<void> {
    this.stopReading();
    await Promise.all(this.readers).catch(() => undefined);
    await this.applier.close().catch(() => undefined);
  }

  private async waitFor(
    targets: ReadonlyMap<string, bigint>,
    timeoutMs: number | undefined,
    what: string,
  ): Promise<void> {
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const { done, behind } = this.applier.reached(targets);
      this.options.onProgress?.({ ...this.applier.progress, total: this.total });
      if (done) return;
      if (Date.now() > deadline)
        throw new Error(`${what}: not caught up within ${timeoutMs} ms (${behind.slice(0, 3).join('; ')})`);
      await sleep(50);
    }
  }
}
