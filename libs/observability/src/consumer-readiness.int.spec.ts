import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchingProducer, ConsumerRunner, KAFKA_EVENTS, KafkaAdmin, readTopic } from '@parley/kafka';
import { ServiceMetrics, consumerChecks, startOpsServer } from '@parley/observability';
import { createTestWorld, waitFor, type TestWorld } from '@parley/testing';
import { deadLetterTopicOf } from '@parley/topics';

describe('/readyz names a consumer of the service that is stuck (real Kafka)', () => {
  let world: TestWorld;
  let producer: BatchingProducer;
  let admin: KafkaAdmin;
  let server: Server;
  let runner: ConsumerRunner<string>;
  let base: string;
  let group: string;
  const handled: string[] = [];
  /** While set, the handler waits for it: a consumer stuck on a record. */
  let gate: Promise<void> | undefined;
  let release = () => {};

  const readyz = async () => {
    const response = await fetch(`${base}/readyz`);
    return {
      status: response.status,
      checks: ((await response.json()) as { checks: Record<string, string> }).checks,
    };
  };
  const publish = (value: string) =>
    producer.send([{ topic: world.topic('chat.conversations'), key: 'c1', value: Buffer.from(value) }]);

  beforeAll(async () => {
    world = await createTestWorld('readiness');
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
    admin = new KafkaAdmin(world.kafka);
    await admin.connect();
    group = `${world.prefix}parley.readiness-probe`;
    runner = new ConsumerRunner<string>(world.kafka, {
      groupId: group,
      topics: [world.topic('chat.conversations')],
      decode: (record) => record.value?.toString() ?? '',
      handle: async (items) => {
        if (gate) await gate;
        handled.push(...items.map((item) => item.value));
      },
      deadLetters: producer,
      commitIntervalMs: 200,
    });
    server = startOpsServer(0, {
      metrics: new ServiceMetrics('readiness-test'),
      checks: consumerChecks({ admin, consumers: [runner], stallAfterMs: 2_000 }),
    });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    release();
    server.close();
    await runner.stop();
    await admin.disconnect();
    await producer.disconnect();
    await world.dispose();
  });

  it('is 503 while the handler blocks with a record waiting, 200 once it moves again, 503 once stopped', async () => {
    const check = `consumer ${group}`;
    expect(await readyz()).toEqual({ status: 503, checks: { [check]: 'not in its consumer group yet' } });
    await runner.start();
    await waitFor(async () => (await readyz()).status === 200, { what: 'the consumer in its group' });

    // A first record goes through and is committed: the group has a position to measure lag from.
    await publish('first');
    await waitFor(() => handled.includes('first'), { what: 'the first record handled' });
    await waitFor(async () => (await admin.committedOffsets(group)).some((c) => BigInt(c.offset) > 0n), {
      what: 'the first offset committed',
    });

    gate = new Promise((resolve) => (release = resolve));
    await publish('second');
    const stuck = await waitFor(
      async () => {
        const answer = await readyz();
        return answer.status === 503 ? answer : undefined;
      },
      { what: '/readyz to notice the stuck consumer', timeoutMs: 20_000 },
    );
    expect(stuck.checks[check]).toMatch(/^no progress for \d+ s with 1 record waiting$/);
    expect(handled).toEqual(['first']);

    gate = undefined;
    release();
    await waitFor(() => handled.includes('second'), { what: 'the second record handled' });
    await waitFor(async () => (await readyz()).status === 200, { what: '/readyz back to 200' });
    expect((await readyz()).checks).toEqual({ [check]: 'ok' });

    await runner.stop();
    expect(await readyz()).toEqual({ status: 503, checks: { [check]: 'stopped' } });
  });

  it(
    'rebuilds a consumer kafkajs gave up on: not ready while it is down, consuming and ready again after',
    async () => {
      // A real crash kafkajs does not restart from: the dead-letter topic refuses every record
      // (max.message.bytes far below a record), MESSAGE_TOO_LARGE is not retriable, so writing the
      // poison record's dead letter fails out of eachBatch and kafkajs disconnects the consumer for good.
      const topic = world.topic('chat.messages');
      const dlq = deadLetterTopicOf(topic);
      const raw = world.kafka.admin();
      await raw.connect();
      const dlqMaxBytes = (value: string) =>
        raw.alterConfigs({
          validateOnly: false,
          // 2 is ConfigResourceTypes.TOPIC (kafkajs is imported by libs/kafka only).
          resources: [{ type: 2, name: dlq, configEntries: [{ name: 'max.message.bytes', value }] }],
        });
      await dlqMaxBytes('100');
      const crashGroup = `${world.prefix}parley.crash-probe`;
      const seen: string[] = [];
      const restarts: number[] = [];
      const crashing = new ConsumerRunner<string>(world.kafka, {
        groupId: crashGroup,
        topics: [topic],
        decode: (record) => record.value?.toString() ?? '',
        handle: async (items) => {
          if (items.some((item) => item.value === 'poison'))
            throw Object.assign(new Error('poison cannot be handled'), { retriable: false });
          seen.push(...items.map((item) => item.value));
        },
        deadLetters: producer,
        maxRecordsPerCall: 1, // 'after' waits behind the poison record's dead letter
        restartBackoff: { initialMs: 200, maxMs: 1_000 },
        instrument: (event) => {
          if (event.name === KAFKA_EVENTS.consumerRestart) restarts.push(event.attempt);
        },
      });
      const ready = consumerChecks({ admin, consumers: [crashing], stallAfterMs: 60_000 })[
        `consumer ${crashGroup}`
      ] as () => Promise<void>;
      try {
        await producer.send(
          ['before', 'poison', 'after'].map((value) => ({ topic, key: 'c1', value: Buffer.from(value) })),
        );
        await crashing.start();
        // Crashed, rebuilt, and crashed again on the same record while the cause lasts: not ready.
        await waitFor(() => restarts.length >= 2, { what: 'two rebuilds', timeoutMs: 60_000 });
        expect(restarts.slice(0, 2)).toEqual([1, 2]);
        await waitFor(() => crashing.progress().state === 'crashed', { what: 'the crashed state' });
        await expect(ready()).rejects.toThrow(/^crashed: .*larger than.*rebuilding the consumer in \d+ ms/i);
        expect(seen).not.toContain('after');

        await dlqMaxBytes('1048588');
        await waitFor(() => seen.includes('after'), {
          what: 'the rebuilt consumer to consume again',
          timeoutMs: 60_000 /* the last backoff (up to 1 s) and a group join on a loaded machine */,
        });
        const deadLetters = await readTopic(world.kafka, dlq, (records) => records.length >= 1);
        expect(deadLetters.map((r) => r.value?.toString())).toEqual(['poison']);
        await waitFor(() => crashing.progress().state === 'running', { what: 'the running state' });
        await expect(ready()).resolves.toBeUndefined();
      } finally {
        await crashing.stop();
        await raw.disconnect();
      }
    },
    150_000 /* several rebuilds with group joins; the machine is shared */,
  );
});
