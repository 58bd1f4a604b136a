import { createKafka, KafkaAdmin, readTopic } from '@parley/kafka';
import { randomName, stackEnv, waitFor } from '@parley/testing';

/** How many times each value occurs. */
const countsOf = (values: readonly string[]) => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};

/**
 * Proves kafkajs 2.2.4 against the broker version the project runs (Kafka 4.x removed old protocol
 * versions): topic creation, a consumer group that rebalances, the idempotent producer, and a
 * transaction that commits consumer offsets (`sendOffsets`).
 */
describe('kafkajs 2.2.4 against the project broker', () => {
  const kafka = createKafka({ brokers: stackEnv().kafkaBrokers, clientId: randomName('compat') });
  const source = randomName('compat-source');
  const sink = randomName('compat-sink');
  const admin = new KafkaAdmin(kafka);

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics([source, sink]);
    await admin.disconnect();
  });

  it('creates topics, runs the idempotent producer, rebalances a group, and commits offsets in a transaction', async () => {
    const raw = kafka.admin();
    await raw.connect();
    expect(
      await raw.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: source, numPartitions: 4 },
          { topic: sink, numPartitions: 1 },
        ],
      }),
    ).toBe(true);
    await raw.disconnect();
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([source, sink]));

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = await producer.send({
      topic: source,
      acks: -1,
      messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    expect(sent.every((r) => r.errorCode === 0)).toBe(true);
    await producer.disconnect();

    const groupId = randomName('compat-group');
    const tx = kafka.producer({
      transactionalId: randomName('compat-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await tx.connect();
    const consumed: string[] = [];
    const assignments: number[][] = [];
    const first = kafka.consumer({ groupId });
    first.on(first.events.GROUP_JOIN, (e) => assignments.push(e.payload.memberAssignment[source] ?? []));
    await first.connect();
    await first.subscribe({ topic: source, fromBeginning: true });
    // One transaction at a time: kafkajs transactions are not concurrent.
    let chain = Promise.resolve();
    await first.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        chain = chain.then(async () => {
          const transaction = await tx.transaction();
          await transaction.send({
            topic: sink,
            messages: batch.messages.map((m) => ({ key: m.key, value: m.value })),
          });
          await transaction.sendOffsets({
            consumerGroupId: groupId,
            topics: [
              {
                topic: batch.topic,
                partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }],
              },
            ],
          });
          await transaction.commit();
          consumed.push(...batch.messages.map((m) => String(m.value)));
        });
        await chain;
      },
    });
    await waitFor(() => consumed.length >= 40, { what: 'all 40 records through the transaction' });
    expect(assignments[0]).toEqual([0, 1, 2, 3]);

    // A second member joins: the group rebalances and the partitions are shared.
    const second = kafka.consumer({ groupId });
    let secondAssignment: number[] = [];
    second.on(second.events.GROUP_JOIN, (e) => (secondAssignment = e.payload.memberAssignment[source] ?? []));
    await second.connect();
    await second.subscribe({ topic: source, fromBeginning: true });
    await second.run({ eachMessage: async () => undefined });
    await waitFor(() => secondAssignment.length > 0 && secondAssignment.length < 4, { what: 'a rebalance' });

    await second.disconnect();
    await first.disconnect();
    await tx.disconnect();

    // The offsets committed inside the transactions are the group's committed positions.
    const committed = await admin.groupOffsets(groupId, source);
    const ends = await admin.topicOffsets(source);
    for (const end of ends)
      expect(committed.find((c) => c.partition === end.partition)?.offset).toBe(end.high);
    // Each record went through one committed transaction, and the sink holds each exactly once: read
    // (read_committed, kafkajs's default isolation) up to a marker written after the last commit.
    const once = countsOf(Array.from({ length: 40 }, (_, i) => `v${i}`));
    expect(countsOf(consumed)).toEqual(once);
    const marker = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await marker.connect();
    await marker.send({ topic: sink, acks: -1, messages: [{ value: 'end' }] });
    await marker.disconnect();
    const sunk = await readTopic(kafka, sink, (records) => records.some((r) => String(r.value) === 'end'));
    expect(countsOf(sunk.map((r) => String(r.value)))).toEqual({ ...once, end: 1 });
  });
});
