// The `parley` command line: commander wiring around @parley/operations. Built as a function of
// its output streams so the integration tests run the same commands in-process.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { Pool } from 'pg';
import { RebuildBusyError } from '@parley/projections';
import { loadConfig, type Config } from '@parley/config';
import { EventSerde } from '@parley/events';
import { BatchingProducer, KafkaAdmin, ReadRangeError, createKafka, type KafkaClient } from '@parley/kafka';
import {
  CliError,
  Progress,
  describeTopics,
  dumpEvents,
  listDeadLetters,
  parseReadStart,
  parseResetTarget,
  redriveDeadLetters,
  resetOffsets,
  resolveEventTypes,
  resolveProjections,
  resolveTopic,
  runProjectionRebuilds,
  showOffsets,
} from '@parley/operations';
import { table } from './table';

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: NodeJS.WriteStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Ends `events tail` (Ctrl-C in a terminal). */
  readonly interrupted?: Promise<void>;
}

interface Clients {
  readonly config: Config;
  readonly kafka: KafkaClient;
  readonly admin: KafkaAdmin;
}

const wholeNumber = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `projections verify` found differences: reported, exit 1. */
class VerifyMismatch extends Error {}

/** Runs one command line; resolves with the exit code (0 done, 1 failed, 2 refused). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let clients: Clients | undefined;
  const connect = async (): Promise<Clients> => {
    if (clients) return clients;
    const config = loadConfig(io.env ?? process.env);
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-cli` });
    const admin = new KafkaAdmin(kafka);
    try {
      await admin.connect();
    } catch (error) {
      throw new CliError(
        `cannot reach Kafka at ${config.kafka.brokers.join(',')} (${(error as Error).message}): start Parley (npm start) or set KAFKA_BROKERS`,
      );
    }
    clients = { config, kafka, admin };
    return clients;
  };
  const topicArg = async (name: string) => {
    const { admin, config } = await connect();
    return resolveTopic(name, config.kafka.topicPrefix, new Set(await admin.listTopics()));
  };

  const program = new Command('parley')
    .description("Parley's operator tools: read topics, rebuild read models, consumer groups, dead letters")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err.write(s) })
    .showHelpAfterError();

  const events = program
    .command('events')
    .description('decode topics to JSON lines (one event per line on stdout)');
  for (const mode of ['dump', 'tail'] as const) {
    events
      .command(mode)
      .description(
        mode === 'dump'
          ? 'print a topic from a point (default: the beginning) up to its end as it was when started'
          : 'follow a topic from a point (default: its end) until interrupted',
      )
      .argument('<topic>', 'catalogue name, e.g. chat.messages or chat.messages.dlq')
      .option('--from-offset <offset>', 'start at this offset (on each partition read)')
      .option(
        '--from-time <time>',
        'start at the first record at or after this time (ISO-8601, or 15m/2h/7d ago)',
      )
      .option('--from-beginning', 'start at the oldest record kept')
      .option('--partition <n>', 'only this partition (repeatable)', (v, prev: number[] = []) => [
        ...prev,
        wholeNumber(v),
      ])
      .option('--key <key>', 'only records with this key')
      .option('--type <type>', 'only this event type (repeatable)', collect)
      .option('--limit <n>', 'stop after this many lines', wholeNumber)
      .action(async (name: string, opts: Record<string, unknown>) => {
        const topic = await topicArg(name);
        const { kafka, config } = await connect();
        const serde = new EventSerde(config.schemaRegistry.url);
        const types = resolveEventTypes((opts.type as string[] | undefined) ?? [], name);
        const report = await dumpEvents({
          kafka,
          serde,
          topic,
          from: parseReadStart(opts, { kind: mode === 'dump' ? 'beginning' : 'end' }),
          follow: mode === 'tail',
          ...(opts.partition ? { partitions: opts.partition as number[] } : {}),
          filter: { ...(opts.key !== undefined ? { key: opts.key as string } : {}), types },
          ...(opts.limit !== undefined ? { limit: opts.limit as number } : {}),
          write: io.out,
          ...(mode === 'dump' ? { progress: new Progress('records', undefined, io.err) } : {}),
          ...(io.interrupted ? { until: io.interrupted } : {}),
        });
        io.err.write(
          `${report.written} line(s) written of ${report.read} record(s) read` +
            (report.undecodable > 0 ? `; ${report.undecodable} did not decode (shown with "error")` : '') +
            '\n',
        );
      });
  }

  program
    .command('topics')
    .description('the topic catalogue')
    .command('describe')
    .description('each catalogue topic next to what the cluster has (partitions, settings, records held)')
    .action(async () => {
      const { admin, config } = await connect();
      const rows = await describeTopics(admin, config.kafka.topicPrefix, config.kafka.topicProfile);
      io.out(
        table(
          [
            'topic',
            'state',
            'partitions (have/want)',
            'replicas',
            'cleanup',
            'retention',
            'records',
            'notes',
          ],
          rows.map((r) => [
            r.topic,
            r.state,
            r.partitions,
            r.replication,
            r.cleanup,
            r.retention,
            r.records,
            r.notes,
          ]),
        ),
      );
    });

  const offsets = program.command('offsets').description('consumer-group positions and lag');
  offsets
    .command('show')
    .description("committed offsets, end offsets and lag of Parley's consumer groups")
    .argument('[group]', 'one group (default: all of this environment)')
    .action(async (group: string | undefined) => {
      const { admin, config } = await connect();
      const rows = await showOffsets(admin, config.kafka.topicPrefix, group);
      io.out(
        table(
          ['group', 'state', 'topic', 'partition', 'committed', 'end', 'lag'],
          rows.map((r) => [r.group, r.state, r.topic, r.partition, r.committed, r.end, r.lag]),
        ),
      );
    });
  offsets
    .command('reset')
    .description("move a group's committed offsets on one topic (refused while the group has members)")
    .argument('<group>', 'the consumer group')
    .requiredOption('--topic <topic>', 'catalogue name of the topic')
    .option('--to-earliest', 'the oldest record kept')
    .option('--to-latest', 'the end (skip everything not yet read)')
    .option('--to-offset <offset>', 'this offset on every partition')
    .option('--to-time <time>', 'the first record at or after this time (ISO-8601, or 15m/2h/7d ago)')
    .option('--dry-run', 'show the change without making it')
    .action(
      async (
        group: string,
        opts: {
          topic: string;
          toEarliest?: boolean;
          toLatest?: boolean;
          toOffset?: string;
          toTime?: string;
          dryRun?: boolean;
        },
      ) => {
        const to = parseResetTarget(opts);
        const topic = await topicArg(String(opts.topic));
        const { admin } = await connect();
        const plan = await resetOffsets(admin, { group, topic, to, dryRun: opts.dryRun === true });
        io.out(
          table(
            ['partition', 'from', 'to'],
            plan.map((p) => [p.partition, p.from, p.to]),
          ),
        );
        io.err.write(opts.dryRun ? 'dry run: nothing changed\n' : `${group} reset on ${topic}\n`);
        if (group.includes('parley.projection.'))
          io.err.write(
            'note: projections keep their positions in PostgreSQL; records below them are skipped. To rebuild a read model, use projections rebuild.\n',
          );
      },
    );

  const projections = program
    .command('projections')
    .description('read models in PostgreSQL, rebuilt from the topics');
  for (const mode of ['rebuild', 'verify'] as const) {
    projections
      .command(mode)
      .description(
        mode === 'rebuild'
          ? 'rebuild read models from the topics into fresh tables and switch to them atomically, while the live system keeps serving'
          : 'rebuild into shadow tables and compare them with the live ones (checksums), naming the first differing rows; changes nothing',
      )
      .argument(
        '[name]',
        'one projection (default: all): users, credentials, conversations, messages, presence',
      )
      .option(
        '--switch-timeout <ms>',
        'longest the live projection may wait at the switch',
        wholeNumber,
        30_000,
      )
      .action(async (name: string | undefined, opts: { switchTimeout: number }) => {
        const chosen = resolveProjections(name);
        const { kafka, config } = await connect();
        const pool = new Pool({ connectionString: config.postgres.url, max: 3 });
        try {
          await pool.query('SELECT 1').catch((error: Error) => {
            throw new CliError(
              `cannot reach PostgreSQL at ${config.postgres.url} (${error.message}): start it or set DATABASE_URL`,
            );
          });
          const reports = await runProjectionRebuilds({
            kafka,
            pool,
            serde: new EventSerde(config.schemaRegistry.url),
            topicPrefix: config.kafka.topicPrefix,
            mode,
            projections: chosen,
            switchTimeoutMs: opts.switchTimeout,
            err: io.err,
          });
          const seconds = (ms: number) => (ms / 1000).toFixed(1);
          io.out(
            table(
              ['projection', 'records', 'skipped', 'seconds', 'records/s', 'live waited (ms)'],
              reports.map((r) => [
                r.projection,
                r.records,
                r.skipped,
                seconds(r.elapsedMs),
                Math.round((r.records * 1000) / Math.max(1, r.bulkMs)),
                r.heldMs,
              ]),
            ),
          );
          if (mode === 'rebuild') {
            io.err.write(`switched ${reports.map((r) => r.projection).join(', ')} to the rebuilt tables
`);
            return;
          }
          const comparisons = reports.flatMap((r) =>
            r.comparisons.map((c) => ({ projection: r.projection, ...c })),
          );
          io.out(
            table(
              ['projection', 'table', 'live rows', 'rebuilt rows', 'checksum'],
              comparisons.map((c) => [
                c.projection,
                c.table,
                c.live.rows,
                c.rebuilt.rows,
                c.equal ? `same (${c.live.md5.slice(0, 12)})` : 'DIFFERENT',
              ]),
            ),
          );
          const different = comparisons.filter((c) => !c.equal);
          for (const c of different) {
            for (const row of c.onlyLive) io.out(`${c.table}: only live:    ${row}`);
            for (const row of c.onlyRebuilt) io.out(`${c.table}: only rebuilt: ${row}`);
          }
          if (different.length > 0)
            throw new VerifyMismatch(
              `${different.map((c) => c.table).join(', ')} differ from what the topics give: the first differing rows are above`,
            );
          io.err.write('every table matches what the topics give\n');
        } finally {
          await pool.end();
        }
      });
  }

  const dlq = program.command('dlq').description('dead-lettered records');
  const dlqTopicArg = async (name: string) => topicArg(name.endsWith('.dlq') ? name : `${name}.dlq`);
  dlq
    .command('list')
    .description('the records of a dead-letter topic with why they failed')
    .argument('<topic>', 'a topic (chat.messages) or its dead-letter topic (chat.messages.dlq)')
    .action(async (name: string) => {
      const dlqTopic = await dlqTopicArg(name);
      const { kafka, admin, config } = await connect();
      const serde = new EventSerde(config.schemaRegistry.url);
      const entries = await listDeadLetters({
        kafka,
        admin,
        serde,
        prefix: config.kafka.topicPrefix,
        dlqTopic,
      });
      io.out(
        table(
          ['dlq offset', 'original', 'type', 'key', 'group', 'stage', 'failed at', 'redriven', 'reason'],
          entries.map((e) => [
            `${e.dlqPartition}/${e.dlqOffset}`,
            `${e.originalTopic}/${e.originalPartition}/${e.originalOffset}`,
            e.type ?? '(undecodable)',
            e.key ?? '',
            e.group,
            e.stage,
            e.failedAt,
            e.redriven ? 'yes' : 'no',
            e.error,
          ]),
        ),
      );
      io.err.write(
        `${entries.length} dead-lettered record(s), ${entries.filter((e) => !e.redriven).length} not re-driven\n`,
      );
    });
  dlq
    .command('redrive')
    .description('send every record not yet re-driven back to its topic, for the group that failed it')
    .argument('<topic>', 'a topic (chat.messages) or its dead-letter topic (chat.messages.dlq)')
    .option('--dry-run', 'count what would be re-driven')
    .action(async (name: string, opts: { dryRun?: boolean }) => {
      const dlqTopic = await dlqTopicArg(name);
      const { kafka, admin, config } = await connect();
      const producer = new BatchingProducer(kafka);
      await producer.connect();
      try {
        const result = await redriveDeadLetters({
          kafka,
          admin,
          producer,
          prefix: config.kafka.topicPrefix,
          dlqTopic,
          dryRun: opts.dryRun === true,
          progress: new Progress('records', undefined, io.err),
        });
        io.err.write(
          `${opts.dryRun ? 'would re-drive' : 're-drove'} ${result.redriven} record(s)` +
            (Object.keys(result.byTopic).length > 0
              ? ` (${Object.entries(result.byTopic)
                  .map(([t, n]) => `${n} to ${t}`)
                  .join(', ')})`
              : '') +
            '\n',
        );
      } finally {
        await producer.disconnect();
      }
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof VerifyMismatch) {
      io.err.write(`parley: ${error.message}\n`);
      return 1;
    }
    if (error instanceof CliError || error instanceof ReadRangeError || error instanceof RebuildBusyError) {
      io.err.write(`parley: ${error.message}\n`);
      return 2;
    }
    io.err.write(`parley: failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await clients?.admin.disconnect().catch(() => undefined);
  }
}
