import type { Command } from 'commander';
import { describeTopics } from '@parley/operations';
import { table } from '../table';
import type { CliContext } from './cli-context';

/** `topics describe`: the catalogue next to the cluster. */
export function addTopicsCommands(program: Command, context: CliContext): void {
  program
    .command('topics')
    .description('the topic catalogue')
    .command('describe')
    .description('each catalogue topic next to what the cluster has (partitions, settings, records held)')
    .action(() => describeCatalogue(context));
}

async function describeCatalogue(context: CliContext) {
  const { admin, config } = await context.connect();
  const rows = await describeTopics(admin, config.kafka.topicPrefix, config.kafka.topicProfile);
  context.io.out(
    table(
      ['topic', 'state', 'partitions (have/want)', 'replicas', 'cleanup', 'retention', 'records', 'notes'],
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
}
