import type { Command } from 'commander';
import { parseResetTarget, resetOffsets, showOffsets } from '@parley/operations';
import { table } from '../table';
import type { CliContext } from './cli-context';

interface ResetOptions {
  readonly topic: string;
  readonly toEarliest?: boolean;
  readonly toLatest?: boolean;
  readonly toOffset?: string;
  readonly toTime?: string;
  readonly dryRun?: boolean;
}

/** `offsets show|reset`: consumer-group positions. */
export function addOffsetsCommands(program: Command, context: CliContext): void {
  const offsets = program.command('offsets').description('consumer-group positions and lag');
  offsets
    .command('show')
    .description("committed offsets, end offsets and lag of Parley's consumer groups")
    .argument('[group]', 'one group (default: all of this environment)')
    .action((group: string | undefined) => showGroupOffsets(context, group));
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
    .action((group: string, opts: ResetOptions) => resetGroupOffsets(context, group, opts));
}

async function showGroupOffsets(context: CliContext, group: string | undefined) {
  const { admin, config } = await context.connect();
  const rows = await showOffsets(admin, config.kafka.topicPrefix, group);
  context.io.out(
    table(
      ['group', 'state', 'topic', 'partition', 'committed', 'end', 'lag'],
      rows.map((r) => [r.group, r.state, r.topic, r.partition, r.committed, r.end, r.lag]),
    ),
  );
}

async function resetGroupOffsets(context: CliContext, group: string, opts: ResetOptions) {
  const { io } = context;
  // Checked before connecting: a wrong option is refused without a cluster.
  const to = parseResetTarget(opts);
  const topic = await context.topic(String(opts.topic));
  const { admin } = await context.connect();
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
}
