// The `parley` command line: commander wiring around @parley/operations. Built as a function of
// its output streams so the integration tests run the same commands in-process.
import { Command } from 'commander';
import { createCliContext, type CliContext, type CliIo } from './commands/cli-context';
import { addDlqCommands } from './commands/dlq-commands';
import { addEventsCommands } from './commands/events-commands';
import { exitCodeFor } from './commands/exit-codes';
import { addOffsetsCommands } from './commands/offsets-commands';
import { addProjectionsCommands } from './commands/projections-commands';
import { addTopicsCommands } from './commands/topics-commands';

export type { CliIo } from './commands/cli-context';

/** Runs one command line; resolves with the exit code (0 done, 1 failed, 2 refused). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const context = createCliContext(io);
  const program = parleyProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return exitCodeFor(error, io.err);
  } finally {
    await context.close();
  }
}

function parleyProgram(context: CliContext): Command {
  const { io } = context;
  // Set before the commands are added: commander copies these settings to each one.
  const program = new Command('parley')
    .description("Parley's operator tools: read topics, rebuild read models, consumer groups, dead letters")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err.write(s) })
    .showHelpAfterError();
  addEventsCommands(program, context);
  addTopicsCommands(program, context);
  addOffsetsCommands(program, context);
  addProjectionsCommands(program, context);
  addDlqCommands(program, context);
  return program;
}
