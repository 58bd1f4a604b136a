import type { Command } from 'commander';
import { Pool } from 'pg';
import { EventSerde } from '@parley/events';
import { CliError, resolveProjections, runProjectionRebuilds } from '@parley/operations';
import { logConnectionFailures } from '@parley/postgres';
import type { RebuildMode, RebuildReport } from '@parley/projections';
import { table } from '../table';
import type { CliContext, CliIo } from './cli-context';
import { VerifyMismatch } from './exit-codes';
import { wholeNumber } from './option-values';

/** `projections rebuild|verify`: read models rebuilt from the topics. */
export function addProjectionsCommands(program: Command, context: CliContext): void {
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
        'one projection (default: all): users, credentials, identities, conversations, messages, presence',
      )
      .option(
        '--switch-timeout <ms>',
        'longest the live projection may wait at the switch',
        wholeNumber,
        30_000,
      )
      .action((name: string | undefined, opts: { switchTimeout: number }) =>
        rebuildProjections(context, mode, name, opts.switchTimeout),
      );
  }
}

async function rebuildProjections(
  context: CliContext,
  mode: RebuildMode,
  name: string | undefined,
  switchTimeoutMs: number,
) {
  const { io } = context;
  const chosen = resolveProjections(name);
  const { kafka, config } = await context.connect();
  await withPostgres(config.postgres.url, async (pool) => {
    const reports = await runProjectionRebuilds({
      kafka,
      pool,
      serde: new EventSerde(config.schemaRegistry.url),
      topicPrefix: config.kafka.topicPrefix,
      mode,
      projections: chosen,
      switchTimeoutMs,
      err: io.err,
    });
    io.out(rebuildTable(reports));
    if (mode === 'rebuild')
      io.err.write(`switched ${reports.map((r) => r.projection).join(', ')} to the rebuilt tables\n`);
    else reportComparisons(io, reports);
  });
}

/** A pool for the rebuild's connections, checked before use and ended after. */
async function withPostgres(url: string, use: (pool: Pool) => Promise<void>): Promise<void> {
  // A rebuild applies on two connections and switches on a third.
  const pool = new Pool({ connectionString: url, max: 3 });
  // A connection lost mid-rebuild fails the query in flight, which the command reports; without a
  // listener it would also be an uncaught exception with a stack trace instead.
  logConnectionFailures(pool, undefined);
  try {
    await pool.query('SELECT 1').catch((error: Error) => {
      throw new CliError(
        `cannot reach PostgreSQL at ${url} (${error.message}): start it or set DATABASE_URL`,
      );
    });
    await use(pool);
  } finally {
    await pool.end();
  }
}

function rebuildTable(reports: readonly RebuildReport[]): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  return table(
    ['projection', 'records', 'skipped', 'seconds', 'records/s', 'live waited (ms)'],
    reports.map((r) => [
      r.projection,
      r.records,
      r.skipped,
      seconds(r.elapsedMs),
      Math.round((r.records * 1000) / Math.max(1, r.bulkMs)),
      r.heldMs,
    ]),
  );
}

/** verify: each table against the live one, then the first differing rows; differences exit 1. */
function reportComparisons(io: CliIo, reports: readonly RebuildReport[]): void {
  const comparisons = reports.flatMap((r) => r.comparisons.map((c) => ({ projection: r.projection, ...c })));
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
}
