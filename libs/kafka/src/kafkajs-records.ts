import type { KafkaMessage } from 'kafkajs';
import type { IncomingRecord } from './records';

/** kafkajs message → Parley's client-independent record (header values as UTF-8 strings). */
export function toIncomingRecord(topic: string, partition: number, message: KafkaMessage): IncomingRecord {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    headers[name] = first === undefined ? undefined : first.toString();
  }
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key ?? null,
    value: message.value ?? null,
    headers,
  };
}
