import type { EventSerde, ParleyEvent } from '@parley/events';
import {
  describeError,
  readRange,
  type IncomingRecord,
  type KafkaClient,
  type ReadStart,
} from '@parley/kafka';
import type { Progress } from './progress';

export interface EventFilter {
  /** Only records with this key (a user, conversation or message id, depending on the topic). */
  readonly key?: string;
  /** Only these event types. */
  readonly types?: ReadonlySet<string>;
}

/** One JSON line per record: where it sits, its key and headers, and the decoded event (or why not). */
export interface EventLine {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly key: string | null;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly type?: string;
  readonly event?: ParleyEvent;
  /** Set instead of `event` when the record does not decode. */
  readonly error?: string;
}

export function eventLine(
  record: IncomingRecord,
  decoded: { event: ParleyEvent } | { error: unknown },
): EventLine {
  const base = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: new Date(Number(record.timestamp)).toISOString(),
    key: record.key?.toString('utf8') ?? null,
    ...(Object.keys(record.headers).length > 0 ? { headers: record.headers } : {}),
  };
  return 'event' in decoded
    ? { ...base, type: decoded.event.type, event: decoded.event }
    : { ...base, error: describeError(decoded.error) };
}

/** Whether a line passes the filter; an undecodable record passes unless types were asked for. */
export function passes(filter: EventFilter, line: EventLine): boolean {
  if (filter.key !== undefined && line.key !== filter.key) return false;
  if (filter.types && filter.types.size > 0 && (!line.type || !filter.types.has(line.type))) return false;
  return true;
}

export interface DumpOptions {
  readonly kafka: KafkaClient;
  readonly serde: EventSerde;
  /** The topic as the cluster names it. */
  readonly topic: string;
  readonly from: ReadStart;
  readonly follow: boolean;
  readonly partitions?: readonly number[];
  readonly filter: EventFilter;
  /** Stop after this many lines written. */
  readonly limit?: number;
  readonly write: (line: string) => void;
  readonly progress?: Progress;
  readonly until?: Promise<void>;
}

export interface DumpReport {
  readonly read: number;
  readonly written: number;
  readonly undecodable: number;
}

/** `events dump|tail`: decodes a topic range through the registry to JSON lines. */
export async function dumpEvents(options: DumpOptions): Promise<DumpReport> {
  let read = 0;
  let written = 0;
  let undecodable = 0;
  let stop!: () => void;
  const limitReached = new Promise<void>((resolve) => (stop = resolve));
  await readRange(options.kafka, {
    topic: options.topic,
    from: options.from,
    follow: options.follow,
    ...(options.partitions ? { partitions: options.partitions } : {}),
    until: Promise.race([limitReached, ...(options.until ? [options.until] : [])]),
    onPlan: (plan) => options.progress?.setTotal(plan.reduce((n, p) => n + Number(p.end - p.start), 0)),
    onRecord: async (record) => {
      if (options.limit !== undefined && written >= options.limit) return;
      read++;
      options.progress?.advance();
      let line: EventLine;
      try {
        line = eventLine(record, { event: await options.serde.decode(record.value ?? Buffer.alloc(0)) });
      } catch (error) {
        undecodable++;
        line = eventLine(record, { error });
      }
      if (!passes(options.filter, line)) return;
      options.write(JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      written++;
      if (options.limit !== undefined && written >= options.limit) stop();
    },
  });
  options.progress?.finish();
  return { read, written, undecodable };
}
