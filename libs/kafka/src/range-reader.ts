import type { Kafka } from 'kafkajs';
import { KafkaAdmin, type PartitionOffsets } from './kafka-admin';
import { describeError } from './dead-letter';
import { toIncomingRecord } from './kafkajs-records';
import type { IncomingRecord } from './records';

/** Where reading starts: an offset (the same on each partition read), a time, the beginning or the end. */
export type ReadStart =
  | { readonly kind: 'beginning' }
  | { readonly kind: 'end' }
  | { readonly kind: 'offset'; readonly offset: bigint }
  | { readonly kind: 'time'; readonly timestamp: number }
  /** Per partition (a consumer group's positions); partitions not named start at the beginning. */
  | { readonly kind: 'positions'; readonly offsets: ReadonlyMap<number, bigint> };

export interface ReadRangeOptions {
  readonly topic: string;
  readonly from: ReadStart;
  /** Only these partitions (default: all). */
  readonly partitions?: readonly number[];
  /** Stop at the end offsets seen when reading began (`dump`), or keep following (`tail`). */
  readonly follow: boolean;
  /** Called for each record in partition order; a rejection stops the read. */
  readonly onRecord?: (record: IncomingRecord) => Promise<void> | void;
  /** Or: called once per fetched batch of one partition (bulk work); a rejection stops the read. */
  readonly onBatch?: (records: readonly IncomingRecord[]) => Promise<void> | void;
  /** Told once where each partition starts and ends, before the first record (for progress). */
  readonly onPlan?: (plan: readonly PartitionPlan[]) => void;
  /** Stops a `follow` read (or a dump early) when it resolves. */
  readonly until?: Promise<void>;
}

export interface PartitionPlan {
  readonly partition: number;
  readonly start: bigint;
  /** The end offset when reading began (exclusive). */
  readonly end: bigint;
}

/** A bad range: the reader names the partition and the offsets it has. */
export class ReadRangeError extends Error {
  override readonly name = 'ReadRangeError';
}

/**
 * Reads a topic range with a throwaway consumer (no committed offsets, no effect on any group):
 * each partition from its start to the end offset seen at the beginning, or on and on when
 * following. Offsets outside what a partition holds are refused with the range it does hold.
 */
export async function readRange(kafka: Kafka, options: ReadRangeOptions): Promise<void> {
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  let plan: PartitionPlan[];
  let all: number[];
  try {
    const present = await admin.topicOffsets(options.topic);
    all = present.map((o) => o.partition);
    const chosen = options.partitions
      ? options.partitions.map((p) => {
          const found = present.find((o) => o.partition === p);
          if (!found)
            throw new ReadRangeError(
              `${options.topic} has no partition ${p} (it has 0-${present.length - 1})`,
            );
          return found;
        })
      : present;
    const atTime =
      options.from.kind === 'time' ? await admin.offsetsAtTime(options.topic, options.from.timestamp) : [];
    plan = chosen.map((o) => ({
      partition: o.partition,
      start: startOf(o, options.from, atTime),
      end: BigInt(o.high),
    }));
  } finally {
    await admin.disconnect();
  }
  options.onPlan?.(plan);
  const open = new Set(plan.filter((p) => options.follow || p.start < p.end).map((p) => p.partition));
  if (open.size === 0) return;

  const consumer = kafka.consumer({
    groupId: `parley-cli-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    allowAutoTopicCreation: false,
    // An idle fetch waits this long for records; disconnecting waits for it, so keep it short.
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    let finish!: (error?: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      finish = (error) =>
        error === undefined
          ? resolve()
          : reject(error instanceof Error ? error : new Error(describeError(error)));
    });
    const wanted = new Map(plan.map((p) => [p.partition, p]));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const part = wanted.get(batch.partition);
        if (!part || !open.has(batch.partition)) return;
        try {
          const records: IncomingRecord[] = [];
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset < part.start) continue;
            if (!options.follow && offset >= part.end) break;
            const record = toIncomingRecord(batch.topic, batch.partition, message);
            if (options.onBatch) records.push(record);
            else await options.onRecord?.(record);
          }
          if (options.onBatch && records.length > 0) await options.onBatch(records);
        } catch (error) {
          finish(error);
          return;
        }
        if (!options.follow && BigInt(batch.highWatermark) >= part.end) {
          const last = batch.messages[batch.messages.length - 1];
          if (!last || BigInt(last.offset) + 1n >= part.end) open.delete(batch.partition);
          if (open.size === 0) finish();
        }
      },
    });
    for (const p of plan)
      consumer.seek({ topic: options.topic, partition: p.partition, offset: String(p.start) });
    // Partitions not chosen are paused, so their records are never fetched.
    const others = all.filter((partition) => !wanted.has(partition));
    if (others.length > 0) consumer.pause([{ topic: options.topic, partitions: others }]);
    await Promise.race([finished, ...(options.until ? [options.until] : [])]);
  } finally {
    await consumer.disconnect();
  }
}

function startOf(
  offsets: PartitionOffsets,
  from: ReadStart,
  atTime: readonly { partition: number; offset: string }[],
): bigint {
  const low = BigInt(offsets.low);
  const high = BigInt(offsets.high);
  switch (from.kind) {
    case 'beginning':
      return low;
    case 'end':
      return high;
    case 'time': {
      const found = atTime.find((o) => o.partition === offsets.partition);
      // -1: no record at or after that time: start at the end.
      return found && BigInt(found.offset) >= 0n ? BigInt(found.offset) : high;
    }
    case 'positions': {
      const at = from.offsets.get(offsets.partition);
      return at === undefined || at < low ? low : at > high ? high : at;
    }
    case 'offset':
      if (from.offset < low || from.offset > high)
        throw new ReadRangeError(
          `offset ${from.offset} is outside partition ${offsets.partition}, which holds ${low}-${high - 1n}` +
            (low === high ? ' (it is empty)' : ''),
        );
      return from.offset;
  }
}
