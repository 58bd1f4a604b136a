import type { Kafka } from 'kafkajs';
import { toIncomingRecord } from './kafkajs-records';
import type { IncomingRecord } from './records';

/**
 * A plain reader of a topic from the beginning, for tools and tests (no group commits): reads until
 * `until` says it has enough or the time is up. Each record of the log comes once: with nothing
 * committed, a rebalance while it reads (a broker restarting, say) starts a partition over from its
 * beginning, and those records, delivered again, are not records written twice.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  until: (records: readonly IncomingRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<IncomingRecord[]> {
  const consumer = kafka.consumer({ groupId: `parley-reader-${process.pid}-${Date.now()}-${Math.random()}` });
  const records: IncomingRecord[] = [];
  const seen = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
        const position = `${partition}:${message.offset}`;
        if (seen.has(position)) return;
        seen.add(position);
        records.push(toIncomingRecord(t, partition, message));
        if (until(records)) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return records;
  } finally {
    await consumer.disconnect();
  }
}
