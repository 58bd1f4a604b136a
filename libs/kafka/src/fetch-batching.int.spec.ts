import { BatchingProducer, ConsumerRunner } from '@parley/kafka';
import { createTestWorld, randomName, waitFor, type TestWorld } from '@parley/testing';

// A consumer whose output may lag (analytics) asks the broker to hold its fetches: records that
// trickle in at an everyday rate reach its handler in a few calls instead of one call per record.

describe('ConsumerRunner fetch batching on the real broker', () => {
  let world: TestWorld;
  let producer: BatchingProducer;
  let topic: string;

  beforeAll(async () => {
    world = await createTestWorld('fetch');
    topic = world.topic('chat.conversations');
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await world.dispose();
  });

  /** Starts a consumer, then sends 20 records 25 ms apart; answers how many handler calls took them. */
  async function callsFor(fetch: ConstructorParameters<typeof ConsumerRunner>[1]['fetch']) {
    const calls: number[] = [];
    const runner = new ConsumerRunner<string>(world.kafka, {
      groupId: randomName('g-fetch'),
      topics: [topic],
      decode: (record) => record.value?.toString() ?? '',
      handle: async (items) => void calls.push(items.length),
      deadLetters: producer,
      fromBeginning: false, // only this call's 20 records
      ...(fetch ? { fetch } : {}),
    });
    void runner.start();
    await waitFor(() => runner.progress().assigned.length > 0, { what: 'the consumer assigned' });
    const tag = randomName('r');
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic, key: 'conv-1', value: Buffer.from(`${tag}-${i}`) });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const total = () => calls.reduce((a, b) => a + b, 0);
    await waitFor(() => total() >= 20, { what: '20 records handled', timeoutMs: 30_000 });
    await runner.stop();
    return calls.length;
  }

  it('given a fetch held up to 3 s for 1 MiB, when 20 records trickle in over about half a second, then they come in a few calls; without it, in many', async () => {
    const batched = await callsFor({ minBytes: 1024 * 1024, maxWaitMs: 3_000 });
    const eager = await callsFor(undefined);
    console.log(`20 records: ${batched} handler calls with fetch batching, ${eager} without`);
    expect(batched).toBeLessThanOrEqual(3);
    expect(eager).toBeGreaterThan(batched);
  }, 90_000); // two consumer groups join and leave a loaded broker
});
