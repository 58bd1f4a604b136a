import type { Kafka } from 'kafkajs';
import { toIncomingRecord } from './kafkajs-records';
import type { IncomingRecord } from './records';

/**
 * A plain reader of a topic from the beginning, for tools and tests (no group commits): reads until
 * `until` says it has enough or the time is up.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  until: (records: readonly IncomingRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<IncomingRecord[]> {
  const consumer = kafka.consumer({ groupId: `parley-reader-${process.pid}-${Date.now()}-${Math.random()}` });
  const records: IncomingRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
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
