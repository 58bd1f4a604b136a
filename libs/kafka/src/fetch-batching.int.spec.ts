import { BatchingProducer, ConsumerRunner } from '@parley/kafka';
import { createTestWorld, randomName, waitFor, type TestWorld } from '@parley/testing';

// A consumer whose output may lag (analytics, the messages projection, the notifier) batches its
// fetches: records that trickle in at an everyday rate reach its handler in a few calls instead of
// one call per record.

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
    const firstSentAt = Date.now();
    let lastSentAt = 0;
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic, key: 'conv-1', value: Buffer.from(`${tag}-${i}`) });
      lastSentAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const total = () => calls.reduce((a, b) => a + b, 0);
    await waitFor(() => total() >= 20, { what: '20 records handled', timeoutMs: 30_000, intervalMs: 5 });
    const lastAfterMs = Date.now() - lastSentAt;
    const sendingMs = lastSentAt - firstSentAt;
    await runner.stop();
    return { calls: calls.length, lastAfterMs, sendingMs };
  }

  it('given a fetch held up to 3 s for 1 MiB, when 20 records trickle in over about half a second, then they come in a few calls; without it, in many', async () => {
    const batched = await callsFor({ minBytes: 1024 * 1024, maxWaitMs: 3_000 });
    const eager = await callsFor(undefined);
    console.log(`20 records: ${batched.calls} handler calls with fetch batching, ${eager.calls} without`);
    expect(batched.calls).toBeLessThanOrEqual(3);
    expect(eager.calls).toBeGreaterThan(batched.calls);
  }, 90_000); // two consumer groups join and leave a loaded broker

  it('given fetches that linger 400 ms, when 20 records trickle in over about half a second, then they come in a few calls, the last soon after its arrival', async () => {
    const lingerMs = 400;
    const lingering = await callsFor({ lingerMs });
    const eager = await callsFor(undefined);
    console.log(
      `20 records sent over ${lingering.sendingMs} ms: ${lingering.calls} handler calls lingering ${lingerMs} ms (last ${lingering.lastAfterMs} ms after it was sent), ${eager.calls} without`,
    );
    // A fetch for the first record, then one per linger while they keep coming (a loaded machine
    // sends more slowly), and one for the rest.
    expect(lingering.calls).toBeLessThanOrEqual(2 + Math.ceil(lingering.sendingMs / lingerMs));
    expect(eager.calls).toBeGreaterThanOrEqual(2 * lingering.calls);
    // A record waits at most about twice the linger (and a loaded broker's answer) for its fetch.
    expect(lingering.lastAfterMs).toBeLessThan(2 * lingerMs + 1_000);
  }, 90_000);
});
