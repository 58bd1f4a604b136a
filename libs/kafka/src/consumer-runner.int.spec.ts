import { randomUUID } from 'node:crypto';
import { EventSerde, type MemberAdded, type ParleyEvent } from '@parley/events';
import {
  BatchingProducer,
  ConsumerRunner,
  DLQ_HEADERS,
  KAFKA_EVENTS,
  KafkaAdmin,
  readTopic,
  type KafkaInstrumentationEvent,
} from '@parley/kafka';
import { createTestWorld, randomName, waitFor, type TestWorld } from '@parley/testing';

const memberAdded = (userId: string): MemberAdded => ({
  type: 'MemberAdded',
  eventId: randomUUID(),
  occurredAt: Date.now(),
  conversationId: 'conv-1',
  userId,
  addedBy: 'admin',
});

describe('ConsumerRunner on the real broker', () => {
  let world: TestWorld;
  let producer: BatchingProducer;
  let serde: EventSerde;
  let admin: KafkaAdmin;
  let topic: string;

  const produce = async (values: Buffer[]) =>
    producer.send(values.map((value) => ({ topic, key: 'conv-1', value })));

  beforeAll(async () => {
    world = await createTestWorld('runner');
    topic = world.topic('chat.conversations');
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    serde = new EventSerde(world.env.schemaRegistryUrl);
    await serde.registerAll();
    admin = new KafkaAdmin(world.kafka);
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
    await producer.disconnect();
    await world.dispose();
  });

  it('dead-letters what can never succeed with the reason, retries blips, and goes on', async () => {
    const groupId = randomName('g-dlq');
    await produce([
      await serde.encode(memberAdded('ok-1')),
      Buffer.from('this is not Avro'),
      await serde.encode(memberAdded('poison')),
      await serde.encode(memberAdded('flaky')),
      await serde.encode(memberAdded('ok-2')),
    ]);

    const handled: string[] = [];
    const events: KafkaInstrumentationEvent[] = [];
    let flakyFailures = 0;
    const runner = new ConsumerRunner<ParleyEvent>(world.kafka, {
      groupId,
      topics: [topic],
      decode: (record) => serde.decode(record.value ?? Buffer.alloc(0)),
      handle: async (items) => {
        for (const { value } of items) {
          const userId = (value as MemberAdded).userId;
          if (userId === 'poison')
            throw Object.assign(new Error('member cannot be added'), { retriable: false });
          if (userId === 'flaky' && flakyFailures < 2) {
            flakyFailures++;
            throw Object.assign(new Error('database restarting'), { code: '57P01' });
          }
        }
        // Only a fully successful call counts: the runner retries or isolates otherwise.
        handled.push(...items.map((i) => (i.value as MemberAdded).userId));
      },
      deadLetters: producer,
      backoff: { initialMs: 10, maxMs: 50 },
      instrument: (event) => events.push(event),
    });
    await runner.start();
    try {
      await waitFor(() => handled.includes('ok-2'), { what: 'the last record to be handled' });
      const dlq = await readTopic(world.kafka, `${topic}.dlq`, (r) => r.length >= 2);
      expect(dlq).toHaveLength(2);
      const [undecodable, poison] = dlq as [(typeof dlq)[0], (typeof dlq)[0]];
      expect(undecodable.value?.toString()).toBe('this is not Avro');
      expect(undecodable.headers[DLQ_HEADERS.stage]).toBe('decode');
      expect(undecodable.headers[DLQ_HEADERS.error]).toMatch(/DecodeError: .*magic byte/);
      expect(undecodable.headers[DLQ_HEADERS.offset]).toBe('1');
      expect(undecodable.key?.toString()).toBe('conv-1');
      expect(poison.headers[DLQ_HEADERS.stage]).toBe('handle');
      expect(poison.headers[DLQ_HEADERS.error]).toMatch(/member cannot be added/);
      expect(poison.headers[DLQ_HEADERS.offset]).toBe('2');
      expect(poison.headers[DLQ_HEADERS.group]).toBe(groupId);
      expect((await serde.decode(poison.value as Buffer)).type).toBe('MemberAdded');

      expect(handled.filter((u) => u === 'ok-1')).toHaveLength(1);
      expect(handled).toContain('flaky');
      expect(handled).not.toContain('poison');
      expect(flakyFailures).toBe(2);
      expect(events.filter((e) => e.name === KAFKA_EVENTS.consumerRetry).length).toBeGreaterThanOrEqual(2);
      expect(events.filter((e) => e.name === KAFKA_EVENTS.consumerDeadLettered)).toHaveLength(2);
    } finally {
      await runner.stop();
    }
    const committed = await admin.groupOffsets(groupId, topic);
    const end = await admin.topicOffsets(topic);
    const partition = end.find((p) => p.high !== '0');
    expect(committed.find((c) => c.partition === partition?.partition)?.offset).toBe(partition?.high);
  });

  it('commits exactly what was processed when stopped mid-stream, and resumes from there', async () => {
    const groupId = randomName('g-stop');
    const startOffset = Number((await admin.topicOffsets(topic)).find((p) => p.high !== '0')?.high ?? 0);
    await produce([
      await serde.encode(memberAdded('n1')),
      await serde.encode(memberAdded('n2')),
      await serde.encode(memberAdded('n3')),
    ]);
    const seen = (name: string) => (name.startsWith('n') ? [name] : []);

    const first: string[] = [];
    const runner1: ConsumerRunner<ParleyEvent> = new ConsumerRunner<ParleyEvent>(world.kafka, {
      groupId,
      topics: [topic],
      maxRecordsPerCall: 1,
      decode: (record) => serde.decode(record.value ?? Buffer.alloc(0)),
      handle: async (items) => {
        const userId = (items[0]?.value as MemberAdded).userId;
        if (userId === 'n2') {
          void runner1.stop(); // shutdown arrives while n2 is in trouble
          throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
        }
        first.push(...seen(userId));
      },
      deadLetters: producer,
      backoff: { initialMs: 10, maxMs: 50 },
    });
    await runner1.start();
    await waitFor(() => first.includes('n1'), { what: 'n1 to be handled' });
    await runner1.stop(); // the same stop the handler began
    const partition = (await admin.topicOffsets(topic)).find((p) => p.high !== '0')!.partition;
    const committedAfterStop = (await admin.groupOffsets(groupId, topic)).find(
      (o) => o.partition === partition,
    )!.offset;
    // Records before n1 in this topic belong to the first test; they were processed too (one group reads all).
    expect(first.filter((u) => u.startsWith('n'))).toEqual(['n1']);
    expect(Number(committedAfterStop)).toBe(startOffset + 1);

    const second: string[] = [];
    const runner2 = new ConsumerRunner<ParleyEvent>(world.kafka, {
      groupId,
      topics: [topic],
      decode: (record) => serde.decode(record.value ?? Buffer.alloc(0)),
      handle: async (items) => {
        second.push(...items.flatMap((i) => seen((i.value as MemberAdded).userId)));
      },
      deadLetters: producer,
    });
    await runner2.start();
    try {
      await waitFor(() => second.includes('n3'), { what: 'n3 after the restart' });
      expect(second).toEqual(['n2', 'n3']);
    } finally {
      await runner2.stop();
    }
  });
});
