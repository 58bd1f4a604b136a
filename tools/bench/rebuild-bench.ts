// `npm run bench:rebuild`: how fast `parley projections rebuild` turns the topics into read models.
// Records a million events of chat traffic, lets the live projector catch up, then rebuilds the
// messages read model (the topic that holds nearly all of them) and prints a table. Measures only.
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { ChatTraffic } from '@parley/chat-traffic';
import { EventSerde } from '@parley/events';
import { BatchingProducer, KafkaAdmin, createKafka } from '@parley/kafka';
import { dropDatabase } from '@parley/postgres';
import { rebuildProjection, type RebuildMode, type RebuildReport } from '@parley/projections';
import { EventPublisher } from '@parley/publishing';
import { ALL_PROJECTIONS } from '@parley/read-models';
import { TOPIC_CATALOGUE, prefixedTopic } from '@parley/topics';
import { freePort, setUpStack, type Log } from '../stack/stack-setup';
import { table } from './latency';

function options(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      events: { type: 'string', default: '1000000' },
      users: { type: 'string', default: '2000' },
      conversations: { type: 'string', default: '1000' },
      modes: { type: 'string', default: 'rebuild,verify' },
    },
  });
  return {
    events: Number(values.events),
    users: Number(values.users),
    conversations: Number(values.conversations),
    modes: values.modes.split(',').filter(Boolean) as RebuildMode[],
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => (ms / 1000).toFixed(1);

export async function runRebuildBench(argv: readonly string[], log: Log): Promise<void> {
  const opts = options(argv);
  const prefix = `bench-rebuild-${Date.now().toString(36)}.`;
  Object.assign(process.env, {
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/parley_bench_rebuild',
    TOPIC_PREFIX: prefix,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  await dropDatabase(process.env.DATABASE_URL ?? '');
  // Only the projector: the delivery worker would answer every message with more events.
  const stack = await setUpStack({
    log,
    registryPort: await freePort(),
    projectorPort: await freePort(),
    apps: ['projector'],
  });
  const kafka = createKafka({ brokers: stack.config.kafka.brokers, clientId: 'parley-bench' });
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  const pool = new Pool({ connectionString: stack.env.DATABASE_URL, max: 4 });
  const producer = new BatchingProducer(kafka);
  await producer.connect();
  const serde = new EventSerde(stack.env.SCHEMA_REGISTRY_URL ?? '');
  try {
    await serde.registerAll();
    log(`\nRecording ${opts.events.toLocaleString('en-US')} events of chat traffic...`);
    const publisher = new EventPublisher(producer, serde, prefix);
    const traffic = new ChatTraffic({ users: opts.users, conversations: opts.conversations });
    const producing = Date.now();
    let recorded = 0;
    const setup = traffic.setup();
    await publisher.publish(setup);
    recorded += setup.length;
    let lastLog = Date.now();
    while (recorded < opts.events) {
      const batch = traffic.next(Math.min(10_000, opts.events - recorded)).slice(0, opts.events - recorded);
      await publisher.publish(batch);
      recorded += batch.length;
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        log(`  ${recorded.toLocaleString('en-US')} recorded`);
      }
    }
    const producedMs = Date.now() - producing;
    log(`  ${recorded.toLocaleString('en-US')} recorded in ${seconds(producedMs)} s`);

    const messagesTopic = prefixedTopic(prefix, 'chat.messages');
    const ends = await admin.topicOffsets(messagesTopic);
    const onMessages = ends.reduce((sum, o) => sum + Number(o.high), 0);
    log(
      `\nWaiting for the live projector (${onMessages.toLocaleString('en-US')} records on chat.messages)...`,
    );
    for (;;) {
      const { rows } = await pool.query<{ n: string | null }>(
        `SELECT sum(next_offset) AS n FROM consumer_positions WHERE projection = 'messages'`,
      );
      const done = Number(rows[0]?.n ?? 0);
      if (done >= onMessages) break;
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        log(`  ${done.toLocaleString('en-US')} projected`);
      }
      await sleep(250);
    }
    const liveMs = Date.now() - producing;
    log(`  caught up ${seconds(liveMs)} s after recording began`);

    const messages = ALL_PROJECTIONS.find((p) => p.name === 'messages')!;
    const reports: RebuildReport[] = [];
    for (const mode of opts.modes) {
      log(`\n${mode} messages...`);
      let shownAt = Date.now();
      reports.push(
        await rebuildProjection({
          kafka,
          pool,
          serde,
          projection: messages,
          topicPrefix: prefix,
          mode,
          onProgress: ({ applied, total }) => {
            if (Date.now() - shownAt < 5_000) return;
            shownAt = Date.now();
            log(`  ${applied.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} records`);
          },
        }),
      );
    }

    console.log(
      `\nRebuild of the messages read model from chat.messages (${opts.users} users, ${opts.conversations} conversations)`,
    );
    console.log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`,
    );
    console.log(
      table(
        [
          'mode',
          'records',
          'read and applied (s)',
          'records/s',
          'total (s)',
          'live projection waited (ms)',
          'result',
        ],
        reports.map((r) => [
          r.mode,
          r.records.toLocaleString('en-US'),
          seconds(r.bulkMs),
          Math.round((r.records * 1000) / r.bulkMs).toLocaleString('en-US'),
          seconds(r.elapsedMs),
          r.heldMs,
          r.mode === 'verify'
            ? r.comparisons.every((c) => c.equal)
              ? 'all tables equal'
              : 'DIFFERENT'
            : r.rebuilt.map((t) => `${t.table} ${t.rows.toLocaleString('en-US')}`).join(', '),
        ]),
      ),
    );
    console.log(
      `\nFor comparison: recording took ${seconds(producedMs)} s; the live projector had applied everything ${seconds(liveMs)} s after recording began.`,
    );
  } finally {
    await producer.disconnect();
    await pool.end();
    // The projector first: it would log every fetch of a deleted topic.
    await stack.teardown();
    await admin
      .deleteTopics(TOPIC_CATALOGUE.map((t) => prefixedTopic(prefix, t.name)))
      .catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(process.env.DATABASE_URL ?? '').catch(() => undefined);
  }
}
