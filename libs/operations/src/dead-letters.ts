import type { EventSerde } from '@parley/events';
import {
  DLQ_HEADERS,
  REDRIVE_HEADERS,
  readRange,
  type BatchingProducer,
  type IncomingRecord,
  type KafkaAdmin,
  type KafkaClient,
  type OutgoingRecord,
} from '@parley/kafka';
import type { Progress } from './progress';

/** A dead-lettered record as `dlq list` shows it. */
export interface DeadLetterEntry {
  readonly dlqPartition: number;
  readonly dlqOffset: string;
  readonly originalTopic: string;
  readonly originalPartition: number;
  readonly originalOffset: string;
  readonly group: string;
  readonly stage: string;
  readonly error: string;
  readonly failedAt: string;
  readonly key: string | null;
  /** The event type, when the record decodes. */
  readonly type?: string;
  /** Already re-driven (at or past the re-drive group's position). */
  readonly redriven: boolean;
}

/** The consumer group whose committed offsets on a `.dlq` topic mark what was re-driven. */
export const redriveGroupOf = (prefix: string) => `${prefix}parley.dlq-redrive`;

export function deadLetterEntry(
  record: IncomingRecord,
  type: string | undefined,
  redriven: boolean,
): DeadLetterEntry {
  const h = record.headers;
  return {
    dlqPartition: record.partition,
    dlqOffset: record.offset,
    originalTopic: h[DLQ_HEADERS.topic] ?? '?',
    originalPartition: Number(h[DLQ_HEADERS.partition] ?? -1),
    originalOffset: h[DLQ_HEADERS.offset] ?? '?',
    group: h[DLQ_HEADERS.group] ?? '?',
    stage: h[DLQ_HEADERS.stage] ?? '?',
    error: h[DLQ_HEADERS.error] ?? '?',
    failedAt: h[DLQ_HEADERS.failedAt] ?? '?',
    key: record.key?.toString('utf8') ?? null,
    ...(type ? { type } : {}),
    redriven,
  };
}

/**
 * The record to produce for a re-drive: the original key, value and headers (without the
 * dead-letter ones), addressed to the group that failed it, naming where it came from.
 */
export function redriveRecord(record: IncomingRecord): OutgoingRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers))
    if (value !== undefined && !name.startsWith('parley.dlq.') && !name.startsWith('parley.redrive.'))
      headers[name] = value;
  headers[REDRIVE_HEADERS.group] = record.headers[DLQ_HEADERS.group] ?? '';
  headers[REDRIVE_HEADERS.from] = `${record.topic}/${record.partition}/${record.offset}`;
  return {
    topic: record.headers[DLQ_HEADERS.topic] ?? '',
    key: record.key?.toString('utf8') ?? null,
    value: record.value ?? Buffer.alloc(0),
    headers,
  };
}

async function redrivePositions(
  admin: KafkaAdmin,
  prefix: string,
  dlqTopic: string,
): Promise<Map<number, bigint>> {
  const committed = await admin.committedOffsets(redriveGroupOf(prefix));
  return new Map(
    committed
      .filter((c) => c.topic === dlqTopic && BigInt(c.offset) >= 0n)
      .map((c) => [c.partition, BigInt(c.offset)]),
  );
}

/** `dlq list`: every record in a dead-letter topic with its reason, marking those already re-driven. */
export async function listDeadLetters(options: {
  kafka: KafkaClient;
  admin: KafkaAdmin;
  serde: EventSerde;
  prefix: string;
  dlqTopic: string;
}): Promise<DeadLetterEntry[]> {
  const positions = await redrivePositions(options.admin, options.prefix, options.dlqTopic);
  const entries: DeadLetterEntry[] = [];
  await readRange(options.kafka, {
    topic: options.dlqTopic,
    from: { kind: 'beginning' },
    follow: false,
    onRecord: async (record) => {
      const type = await options.serde.decode(record.value ?? Buffer.alloc(0)).then(
        (e) => e.type,
        () => undefined,
      );
      const done = BigInt(record.offset) < (positions.get(record.partition) ?? 0n);
      entries.push(deadLetterEntry(record, type, done));
    },
  });
  return entries;
}

/**
 * `dlq redrive`: produces every dead-lettered record not re-driven yet back to its topic, addressed
 * to the group that failed it, then records how far it got (the re-drive group's offsets), so a
 * record is re-driven once. Run it after fixing the cause; a record that fails again comes back to
 * the dead-letter topic with its new reason.
 */
export async function redriveDeadLetters(options: {
  kafka: KafkaClient;
  admin: KafkaAdmin;
  producer: BatchingProducer;
  prefix: string;
  dlqTopic: string;
  dryRun?: boolean;
  progress?: Progress;
}): Promise<{ redriven: number; byTopic: Record<string, number> }> {
  const { admin, dlqTopic } = options;
  const positions = await redrivePositions(admin, options.prefix, dlqTopic);
  const ends = new Map<number, bigint>();
  const pending: OutgoingRecord[] = [];
  await readRange(options.kafka, {
    topic: dlqTopic,
    from: { kind: 'positions', offsets: positions },
    follow: false,
    onPlan: (plan) => {
      for (const p of plan) ends.set(p.partition, p.end);
      options.progress?.setTotal(plan.reduce((n, p) => n + Number(p.end - p.start), 0));
    },
    onRecord: (record) => {
      pending.push(redriveRecord(record));
      options.progress?.advance();
    },
  });
  options.progress?.finish();
  const byTopic: Record<string, number> = {};
  for (const record of pending) byTopic[record.topic] = (byTopic[record.topic] ?? 0) + 1;
  if (options.dryRun || pending.length === 0) return { redriven: pending.length, byTopic };
  // Produced (acks=all) before the position moves: a crash in between re-drives again rather than losing.
  await options.producer.send(pending);
  await admin.setGroupOffsets(
    redriveGroupOf(options.prefix),
    dlqTopic,
    [...ends].map(([partition, end]) => ({ partition, offset: String(end) })),
  );
  return { redriven: pending.length, byTopic };
}
