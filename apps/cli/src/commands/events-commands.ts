import type { Command } from 'commander';
import { EventSerde } from '@parley/events';
import { Progress, dumpEvents, parseReadStart, resolveEventTypes, type DumpReport } from '@parley/operations';
import type { CliContext } from './cli-context';
import { collect, collectWholeNumbers, wholeNumber } from './option-values';

type ReadMode = 'dump' | 'tail';

interface ReadOptions {
  readonly fromOffset?: string;
  readonly fromTime?: string;
  readonly fromBeginning?: boolean;
  readonly partition?: number[];
  readonly key?: string;
  readonly type?: string[];
  readonly limit?: number;
}

/** `events dump|tail`: a topic decoded to JSON lines. */
export function addEventsCommands(program: Command, context: CliContext): void {
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
      .option('--partition <n>', 'only this partition (repeatable)', collectWholeNumbers)
      .option('--key <key>', 'only records with this key')
      .option('--type <type>', 'only this event type (repeatable)', collect)
      .option('--limit <n>', 'stop after this many lines', wholeNumber)
      .action((name: string, opts: ReadOptions) => readEvents(context, mode, name, opts));
  }
}

async function readEvents(context: CliContext, mode: ReadMode, name: string, opts: ReadOptions) {
  const { io } = context;
  const topic = await context.topic(name);
  const { kafka, config } = await context.connect();
  const serde = new EventSerde(config.schemaRegistry.url);
  const types = resolveEventTypes(opts.type ?? [], name);
  const report = await dumpEvents({
    kafka,
    serde,
    topic,
    from: parseReadStart(opts, { kind: mode === 'dump' ? 'beginning' : 'end' }),
    follow: mode === 'tail',
    ...(opts.partition ? { partitions: opts.partition } : {}),
    filter: { ...(opts.key !== undefined ? { key: opts.key } : {}), types },
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    write: io.out,
    ...(mode === 'dump' ? { progress: new Progress('records', undefined, io.err) } : {}),
    ...(io.interrupted ? { until: io.interrupted } : {}),
  });
  io.err.write(summary(report));
}

function summary(report: DumpReport): string {
  return (
    `${report.written} line(s) written of ${report.read} record(s) read` +
    (report.undecodable > 0 ? `; ${report.undecodable} did not decode (shown with "error")` : '') +
    '\n'
  );
}
