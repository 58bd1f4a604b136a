import type { Command } from 'commander';
import { BatchingProducer } from '@parley/kafka';
import { EventSerde } from '@parley/events';
import { Progress, listDeadLetters, redriveDeadLetters } from '@parley/operations';
import { table } from '../table';
import type { CliContext } from './cli-context';

/** `dlq list|redrive`: dead-lettered records. */
export function addDlqCommands(program: Command, context: CliContext): void {
  const dlq = program.command('dlq').description('dead-lettered records');
  dlq
    .command('list')
    .description('the records of a dead-letter topic with why they failed')
    .argument('<topic>', 'a topic (chat.messages) or its dead-letter topic (chat.messages.dlq)')
    .action((name: string) => listDlq(context, name));
  dlq
    .command('redrive')
    .description('send every record not yet re-driven back to its topic, for the group that failed it')
    .argument('<topic>', 'a topic (chat.messages) or its dead-letter topic (chat.messages.dlq)')
    .option('--dry-run', 'count what would be re-driven')
    .action((name: string, opts: { dryRun?: boolean }) => redriveDlq(context, name, opts));
}

/** Either a topic or its dead-letter topic may be named. */
const dlqTopic = (context: CliContext, name: string) =>
  context.topic(name.endsWith('.dlq') ? name : `${name}.dlq`);

async function listDlq(context: CliContext, name: string) {
  const { io } = context;
  const topic = await dlqTopic(context, name);
  const { kafka, admin, config } = await context.connect();
  const serde = new EventSerde(config.schemaRegistry.url);
  const entries = await listDeadLetters({
    kafka,
    admin,
    serde,
    prefix: config.kafka.topicPrefix,
    dlqTopic: topic,
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
}

async function redriveDlq(context: CliContext, name: string, opts: { dryRun?: boolean }) {
  const { io } = context;
  const topic = await dlqTopic(context, name);
  const { kafka, admin, config } = await context.connect();
  const producer = new BatchingProducer(kafka);
  await producer.connect();
  try {
    const result = await redriveDeadLetters({
      kafka,
      admin,
      producer,
      prefix: config.kafka.topicPrefix,
      dlqTopic: topic,
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
}
