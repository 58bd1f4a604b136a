import { deadLetterTopicOf } from '@parley/topics';
import type { IncomingRecord, OutgoingRecord } from './records';

/** Header names on dead-lettered records; `apps/replay` reads them to show and re-drive. */
export const DLQ_HEADERS = {
  error: 'parley.dlq.error',
  errorClass: 'parley.dlq.error-class',
  stage: 'parley.dlq.stage',
  group: 'parley.dlq.group',
  topic: 'parley.dlq.original-topic',
  partition: 'parley.dlq.original-partition',
  offset: 'parley.dlq.original-offset',
  timestamp: 'parley.dlq.original-timestamp',
  failedAt: 'parley.dlq.failed-at',
} as const;

/**
 * Headers on a re-driven record: the group whose failure it answers (every other group already
 * processed the original and skips it) and the dead-letter record it came from.
 */
export const REDRIVE_HEADERS = {
  group: 'parley.redrive.group',
  from: 'parley.redrive.from',
} as const;

/** Whether `groupId` should process this record: everything except a re-drive meant for another group. */
export function isForGroup(record: IncomingRecord, groupId: string): boolean {
  const target = record.headers[REDRIVE_HEADERS.group];
  return target === undefined || target === groupId;
}

export type FailureStage = 'decode' | 'handle';

/** The record to write to `<topic>.dlq`: the original key, value and headers, plus why it failed. */
export function deadLetterRecord(
  record: IncomingRecord,
  failure: { error: unknown; stage: FailureStage; groupId: string; failedAt: Date },
): OutgoingRecord {
  const error = failure.error;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) if (value !== undefined) headers[name] = value;
  headers[DLQ_HEADERS.error] = describeError(error);
  headers[DLQ_HEADERS.errorClass] = error instanceof Error ? error.name : typeof error;
  headers[DLQ_HEADERS.stage] = failure.stage;
  headers[DLQ_HEADERS.group] = failure.groupId;
  headers[DLQ_HEADERS.topic] = record.topic;
  headers[DLQ_HEADERS.partition] = String(record.partition);
  headers[DLQ_HEADERS.offset] = record.offset;
  headers[DLQ_HEADERS.timestamp] = record.timestamp;
  headers[DLQ_HEADERS.failedAt] = failure.failedAt.toISOString();
  return {
    topic: deadLetterTopicOf(record.topic),
    key: record.key === null ? null : record.key.toString('utf8'),
    value: record.value ?? Buffer.alloc(0),
    headers,
  };
}

/** The message, then each cause, so the reason survives wrapping. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current !== undefined && parts.length < 5) {
    parts.push(
      current instanceof Error
        ? `${current.name}: ${current.message}`
        : typeof current === 'string'
          ? current
          : JSON.stringify(current),
    );
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' <- caused by ');
}
