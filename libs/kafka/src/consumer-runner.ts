import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '@parley/logging';
import type { BatchingProducer } from './batching-producer';
import { DEFAULT_RESTART_BACKOFF, afterCrash } from './crash-recovery';
import { deadLetterRecord, describeError, isForGroup, type FailureStage } from './dead-letter';
import { KAFKA_EVENTS, noInstrument, type Instrument } from './instrumentation';
import { toIncomingRecord } from './kafkajs-records';
import type { IncomingRecord } from './records';
import { DEFAULT_BACKOFF, backoffDelay, classifyError, type BackoffOptions } from './retry-policy';

export interface Decoded<T> {
  readonly record: IncomingRecord;
  readonly value: T;
}

/**
 * How a consumer whose output may lag batches its fetches, so that at everyday rates it takes a
 * few records per fetch and per transaction instead of one:
 * - `minBytes`/`maxWaitMs`: the broker holds each fetch until it has `minBytes` or `maxWaitMs`
 *   passed (an empty fetch every `maxWaitMs` while nothing happens);
 * - `lingerMs`: after a batch, the next fetch starts no sooner than `lingerMs` after the latest
 *   one began. An idle consumer's fetch stays a long poll (no cost), and under load, when handling
 *   a fetch takes longer anyway, nobody waits. A record waits up to about twice `lingerMs` (the
 *   wait follows the first partition's batch of a fetch, before the others'; kafkajs tells no
 *   runner which batch is a fetch's last), more with several brokers at moderate rates; keep it
 *   well below the 30 s session timeout (it sends no heartbeat while it waits).
 */
export type FetchBatching =
  { readonly minBytes: number; readonly maxWaitMs: number } | { readonly lingerMs: number };

/** Lingering fetches of `lingerMs` (see FetchBatching), or none for 0. */
export function lingeringFetches(lingerMs: number): FetchBatching | undefined {
  return lingerMs > 0 ? { lingerMs } : undefined;
}

export interface ConsumerRunnerOptions<T> {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Turns a raw record into a typed value; a permanent failure sends the record to `<topic>.dlq`. */
  readonly decode: (record: IncomingRecord) => Promise<T> | T;
  /** Processes records of one partition, in order. Throwing retries (transient) or isolates the culprit. */
  readonly handle: (items: readonly Decoded<T>[]) => Promise<void>;
  /** Produces dead-lettered records; shared with the app's other sends. */
  readonly deadLetters: BatchingProducer;
  /** A new group starts at the beginning of the log (the topics are the event store). */
  readonly fromBeginning?: boolean;
  /** Most records handed to one `handle` call. */
  readonly maxRecordsPerCall?: number;
  /** Attempts for errors of unknown kind before they count as permanent. */
  readonly unknownErrorAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** Between rebuilds of a consumer kafkajs gave up on (default 1 s doubling up to 60 s). */
  readonly restartBackoff?: BackoffOptions;
  readonly partitionsConsumedConcurrently?: number;
  /**
   * How often processed offsets are committed (default 1 s), and on stop. Not after every batch:
   * each commit is a request, and under load the requests (and their system calls) add up. After a
   * crash, up to this much is read again; consumers are idempotent for that anyway.
   */
  readonly commitIntervalMs?: number;
  /**
   * Batched fetches for a consumer whose output may lag (default: each fetch answered with the
   * first record, and the next one sent at once).
   */
  readonly fetch?: FetchBatching;
  readonly instrument?: Instrument;
  readonly logger?: Logger;
  /** Ids that tie a log line to what it is about (an event's `eventId`, a `messageId`). */
  readonly correlate?: (value: T) => Record<string, string>;
}

/** What a runner is doing, for a service's readiness (libs/observability). */
export interface ConsumerProgress {
  readonly groupId: string;
  /**
   * `starting` until it joins its group; `crashed` from a crash until it has joined again (kafkajs
   * restarting it, or the runner rebuilding it).
   */
  readonly state: 'starting' | 'running' | 'crashed' | 'stopped';
  /** When a chunk was last processed, or the group last (re)joined: ms since the epoch. */
  readonly lastProgressAt: number;
  /** This member's partitions in the current generation. */
  readonly assigned: readonly { readonly topic: string; readonly partition: number }[];
  /** Since when it has held fetched records it has not finished; absent while it has none. */
  readonly busySince?: number;
  /** Why it crashed, while it is `crashed`. */
  readonly crash?: string;
}

/** Raised inside the runner when shutdown interrupts a retry; the batch stops where it is, uncommitted. */
class StopRequested extends Error {}

/**
 * Runs a consumer group in batches: decode, handle, dead-letter what can never succeed, then commit
 * exactly the offsets that were processed. Transient failures are retried with jittered backoff for
 * as long as it takes; a record whose failure is permanent goes to `<topic>.dlq` with the reason in
 * its headers, and the partition moves on. Stopping lets the current step finish and commits it.
 */
export class ConsumerRunner<T> {
  private consumer: Consumer;
  private readonly options: ConsumerRunnerOptions<T>;
  private readonly instrument: Instrument;
  private readonly backoff: BackoffOptions;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** Processed and not yet committed: the next offset to read, per "topic\0partition". */
  private readonly toCommit = new Map<string, { topic: string; partition: number; offset: string }>();
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private current: ConsumerProgress;
  private busySince = 0;
  /** Rebuilds in a row: since a consumer last stayed in its group for the longest backoff delay. */
  private rebuilds = 0;
  /** When the current consumer last joined its group. */
  private joinedAt: number | undefined;
  private rebuildTimer: NodeJS.Timeout | undefined;
  private rebuilding: Promise<void> | undefined;

  private readonly kafka: Kafka;
  /** When the current consumer's latest fetch began (for `lingerMs`). */
  private fetchStartedAt = 0;

  constructor(kafka: Kafka, options: ConsumerRunnerOptions<T>) {
    this.options = options;
    this.instrument = options.instrument ?? noInstrument;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.kafka = kafka;
    this.consumer = this.createConsumer();
    this.current = { groupId: options.groupId, state: 'starting', lastProgressAt: Date.now(), assigned: [] };
  }

  /** Its state, last progress and partitions (for readiness checks). */
  progress(): ConsumerProgress {
    return this.inFlight > 0 ? { ...this.current, busySince: this.busySince } : this.current;
  }

  /** Joins the group and starts consuming; resolves once the first join was attempted. */
  async start(): Promise<void> {
    this.commitTimer = setInterval(() => void this.commit(), this.options.commitIntervalMs ?? 1_000);
    this.commitTimer.unref();
    await this.launch(this.consumer);
  }

  /** Finishes the step in progress, commits what was processed, leaves the group. */
  stop(): Promise<void> {
    this.stopping = true;
    this.stopped ??= (async () => {
      clearInterval(this.commitTimer);
      clearTimeout(this.rebuildTimer);
      await this.rebuilding;
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await this.commit();
      await this.consumer.disconnect();
    })();
    return this.stopped;
  }

  private createConsumer(): Consumer {
    const { fetch } = this.options;
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      ...(fetch && 'minBytes' in fetch ? { minBytes: fetch.minBytes, maxWaitTimeInMs: fetch.maxWaitMs } : {}),
    });
    if (fetch && 'lingerMs' in fetch)
      consumer.on(consumer.events.FETCH_START, () => {
        if (consumer === this.consumer) this.fetchStartedAt = Date.now();
      });
    this.watchProgress(consumer);
    return consumer;
  }

  private async launch(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  /**
   * Keeps `progress()` current from the consumer's own events (kafkajs stops, then reports a
   * crash), and rebuilds the consumer when kafkajs gave up on it. Events of a consumer that was
   * replaced are ignored.
   */
  private watchProgress(consumer: Consumer): void {
    const { GROUP_JOIN, STOP, CRASH } = consumer.events;
    const { groupId } = this.options;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      if (consumer !== this.consumer) return;
      // A new generation: what the previous assignment processed is the new owners' business now.
      this.toCommit.clear();
      this.joinedAt = Date.now();
      const assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      this.current = { groupId, state: 'running', lastProgressAt: Date.now(), assigned };
    });
    consumer.on(STOP, () => {
      if (consumer !== this.consumer) return;
      this.current = { ...this.current, state: 'stopped', assigned: [] };
    });
    consumer.on(CRASH, ({ payload }) => {
      if (consumer !== this.consumer) return;
      this.crashed(payload.error, payload.restart);
    });
  }

  /** The consumer crashed (or could not be launched again): rebuild it unless kafkajs restarts it. */
  private crashed(error: unknown, restartedByKafkajs: boolean): void {
    const reason = describeError(error);
    const upForMs = this.joinedAt === undefined ? undefined : Date.now() - this.joinedAt;
    this.joinedAt = undefined;
    const action = afterCrash(
      { restartedByKafkajs, stopping: this.stopping, previousAttempts: this.rebuilds, upForMs },
      this.options.restartBackoff ?? DEFAULT_RESTART_BACKOFF,
    );
    if (action.kind === 'leave') {
      const crash = restartedByKafkajs ? `${reason} (restarting)` : reason;
      this.current = { ...this.current, state: 'crashed', assigned: [], crash };
      return;
    }
    this.rebuilds = action.attempt;
    const crash = `${reason} (rebuilding the consumer in ${action.delayMs} ms)`;
    this.current = { ...this.current, state: 'crashed', assigned: [], crash };
    this.options.logger?.error(
      { groupId: this.options.groupId, err: error, attempt: this.rebuilds, delayMs: action.delayMs },
      'consumer crashed and kafkajs will not restart it: rebuilding it',
    );
    this.instrument({
      name: KAFKA_EVENTS.consumerRestart,
      groupId: this.options.groupId,
      attempt: this.rebuilds,
      delayMs: action.delayMs,
      error,
    });
    clearTimeout(this.rebuildTimer);
    this.rebuildTimer = setTimeout(() => {
      this.rebuilding = this.rebuild().finally(() => (this.rebuilding = undefined));
    }, action.delayMs);
  }

  /** A new kafkajs consumer in place of the dead one; failing to launch counts as another crash. */
  private async rebuild(): Promise<void> {
    if (this.stopping) return;
    // kafkajs disconnected it before reporting the crash; this only makes sure.
    await this.consumer.disconnect().catch(() => undefined);
    const consumer = this.createConsumer();
    this.consumer = consumer;
    try {
      await this.launch(consumer);
    } catch (error) {
      if (this.stopping || consumer !== this.consumer) return;
      await consumer.disconnect().catch(() => undefined);
      this.crashed(error, false);
    }
  }

  /** Commits the processed offsets gathered since the last commit; a failure leaves them for the next. */
  private commit(): Promise<void> {
    this.committing = this.committing.then(async () => {
      if (this.toCommit.size === 0) return;
      const offsets = [...this.toCommit.values()];
      this.toCommit.clear();
      try {
        await this.consumer.commitOffsets(offsets);
      } catch (error) {
        // Rebalancing or not connected: newer progress (if any) wins; this is tried again next time.
        for (const entry of offsets) {
          const key = `${entry.topic}\0${entry.partition}`;
          if (!this.toCommit.has(key)) this.toCommit.set(key, entry);
        }
        this.options.logger?.debug(
          { err: error, groupId: this.options.groupId },
          'offsets not committed yet',
        );
      }
    });
    return this.committing;
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    if (this.inFlight++ === 0) this.busySince = Date.now();
    try {
      await this.processBatchSteps(payload);
      await this.linger(this.liveFor(payload));
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  /** Whether the batch is still ours to work on: not stopping, not rebalanced away. */
  private liveFor(payload: EachBatchPayload): () => boolean {
    return () => !this.stopping && payload.isRunning() && !payload.isStale();
  }

  /**
   * Holds back the next fetch until `lingerMs` after this one began (kafkajs fetches again once
   * the batches of a fetch are handled), so that the records arriving meanwhile come in one fetch.
   * Ends early when the runner stops or the batch is no longer ours (a rebalance).
   */
  private async linger(live: () => boolean): Promise<void> {
    const { fetch } = this.options;
    if (!fetch || !('lingerMs' in fetch) || !live()) return;
    const wait = Math.min(this.fetchStartedAt + fetch.lingerMs - Date.now(), fetch.lingerMs);
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      const poll = setInterval(() => {
        if (!live()) done();
      }, 100);
      function done() {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    });
  }

  private async processBatchSteps(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const maxPerCall = this.options.maxRecordsPerCall ?? 500;
    const live = this.liveFor(payload);
    try {
      for (let start = 0; start < batch.messages.length && live(); start += maxPerCall) {
        const started = performance.now();
        const chunk = batch.messages
          .slice(start, start + maxPerCall)
          .map((m) => toIncomingRecord(batch.topic, batch.partition, m));
        await this.processChunk(chunk, payload, live);
        const last = chunk[chunk.length - 1] as IncomingRecord;
        payload.resolveOffset(last.offset);
        this.current = { ...this.current, lastProgressAt: Date.now() };
        this.toCommit.set(`${batch.topic}\0${batch.partition}`, {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(BigInt(last.offset) + 1n),
        });
        await payload.heartbeat();
        this.instrument({
          name: KAFKA_EVENTS.consumerBatchProcessed,
          groupId: this.options.groupId,
          topic: batch.topic,
          partition: batch.partition,
          records: chunk.length,
          durationMs: performance.now() - started,
          lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n)),
        });
      }
    } catch (error) {
      if (error instanceof StopRequested) return; // what was processed is committed by stop()
      throw error;
    }
  }

  private async processChunk(
    chunk: readonly IncomingRecord[],
    payload: EachBatchPayload,
    live: () => boolean,
  ): Promise<void> {
    const failures: {
      record: IncomingRecord;
      error: unknown;
      stage: FailureStage;
      ids?: Record<string, string>;
    }[] = [];
    const items: Decoded<T>[] = [];
    for (const record of chunk) {
      // A re-drive answers one group's failure; the others processed the original already.
      if (!isForGroup(record, this.options.groupId)) continue;
      try {
        items.push({
          record,
          value: await this.withRetries(record, payload, live, async () => this.options.decode(record)),
        });
      } catch (error) {
        if (error instanceof StopRequested) throw error;
        failures.push({ record, error, stage: 'decode' });
      }
    }
    if (items.length > 0) {
      const first = items[0] as Decoded<T>;
      try {
        await this.withRetries(first.record, payload, live, () => this.options.handle(items));
      } catch (error) {
        if (error instanceof StopRequested) throw error;
        // Permanent failure somewhere in the chunk: handle one by one to find the culprit(s).
        for (const item of items) {
          try {
            await this.withRetries(item.record, payload, live, () => this.options.handle([item]));
          } catch (itemError) {
            if (itemError instanceof StopRequested) throw itemError;
            failures.push({
              record: item.record,
              error: itemError,
              stage: 'handle',
              ...(this.options.correlate ? { ids: this.options.correlate(item.value) } : {}),
            });
          }
        }
      }
    }
    if (failures.length > 0) {
      const failedAt = new Date();
      const records = failures.map((f) =>
        deadLetterRecord(f.record, { ...f, groupId: this.options.groupId, failedAt }),
      );
      // Written before the offsets move on: a dead-lettered record is never lost in between.
      await this.withRetries(chunk[0] as IncomingRecord, payload, live, () =>
        this.options.deadLetters.send(records),
      );
      for (const failure of failures) {
        const reason = describeError(failure.error);
        this.options.logger?.warn(
          {
            topic: failure.record.topic,
            partition: failure.record.partition,
            offset: failure.record.offset,
            ...failure.ids,
            reason,
          },
          'record sent to the dead-letter topic',
        );
        this.instrument({
          name: KAFKA_EVENTS.consumerDeadLettered,
          groupId: this.options.groupId,
          topic: failure.record.topic,
          partition: failure.record.partition,
          offset: failure.record.offset,
          reason,
        });
      }
    }
  }

  /** Runs `step`, retrying transient failures until it works or shutdown begins. */
  private async withRetries<R>(
    record: IncomingRecord,
    payload: EachBatchPayload,
    live: () => boolean,
    step: () => Promise<R>,
  ): Promise<R> {
    const unknownBudget = this.options.unknownErrorAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        const verdict = classifyError(error);
        if (verdict === 'permanent' || (verdict === 'unknown' && attempt >= unknownBudget)) throw error;
        if (!live()) throw new StopRequested();
        const delayMs = backoffDelay(attempt, this.backoff);
        this.options.logger?.warn(
          {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            attempt,
            delayMs,
            err: error,
          },
          'retrying after a failure',
        );
        this.instrument({
          name: KAFKA_EVENTS.consumerRetry,
          groupId: this.options.groupId,
          topic: record.topic,
          partition: record.partition,
          attempt,
          delayMs,
          verdict,
          error,
        });
        await sleepWithHeartbeats(delayMs, payload, live);
      }
    }
  }
}

async function sleepWithHeartbeats(
  ms: number,
  payload: EachBatchPayload,
  live: () => boolean,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!live()) throw new StopRequested();
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
    // Staying in the group while waiting out a blip avoids a rebalance storm.
    await payload.heartbeat().catch(() => undefined);
  }
}
