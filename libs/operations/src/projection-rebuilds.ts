import type { Pool } from 'pg';
import type { EventSerde } from '@parley/events';
import type { KafkaClient } from '@parley/kafka';
import {
  rebuildProjection,
  type Projection,
  type RebuildMode,
  type RebuildReport,
} from '@parley/projections';
import { ALL_PROJECTIONS } from '@parley/read-models';
import { CliError } from './cli-error';
import { Progress } from './progress';

/** The projections named (all of them when none is), or a refusal that lists the known ones. */
export function resolveProjections(name: string | undefined): Projection[] {
  if (name === undefined) return [...ALL_PROJECTIONS];
  const found = ALL_PROJECTIONS.find((p) => p.name === name);
  if (found) return [found];
  const known = ALL_PROJECTIONS.map((p) => p.name).join(', ');
  if (name === 'inboxes')
    throw new CliError(
      `inboxes cannot be rebuilt from the topics: delivery and expiry times record ACKs, not events (rebuildable: ${known})`,
    );
  throw new CliError(`unknown projection "${name}" (known: ${known})`);
}

export interface RebuildRunOptions {
  readonly kafka: KafkaClient;
  readonly pool: Pool;
  readonly serde: EventSerde;
  readonly topicPrefix: string;
  readonly mode: RebuildMode;
  readonly projections: readonly Projection[];
  readonly switchTimeoutMs?: number;
  /** Where progress and skipped records are told (stderr in the CLI). */
  readonly err: NodeJS.WriteStream;
}

/** Rebuilds or verifies the projections one after the other, with progress (rate and ETA) on `err`. */
export async function runProjectionRebuilds(options: RebuildRunOptions): Promise<RebuildReport[]> {
  const reports: RebuildReport[] = [];
  for (const projection of options.projections) {
    options.err.write(`${options.mode === 'rebuild' ? 'Rebuilding' : 'Verifying'} ${projection.name}...\n`);
    const progress = new Progress('records', undefined, options.err);
    let shown = 0;
    reports.push(
      await rebuildProjection({
        kafka: options.kafka,
        pool: options.pool,
        serde: options.serde,
        projection,
        topicPrefix: options.topicPrefix,
        mode: options.mode,
        ...(options.switchTimeoutMs !== undefined ? { switchTimeoutMs: options.switchTimeoutMs } : {}),
        onProgress: ({ applied, total }) => {
          progress.setTotal(Math.max(total, applied));
          progress.advance(applied - shown);
          shown = applied;
        },
        onSkip: (record, reason) =>
          options.err.write(
            `  skipped ${record.topic}/${record.partition}/${record.offset}: ${reason} (the live projection dead-letters it too)\n`,
          ),
      }),
    );
    progress.finish();
  }
  return reports;
}
