// `npm start` and `npm test` after dependencies are installed (see tools/bootstrap.js).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, setUpStack, type Log } from './stack-setup';

const ROOT = resolve(__dirname, '../..');
const log: Log = (line) => console.log(line);

function run(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  quiet = false,
): Promise<number> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
      env: { ...process.env, ...env },
    });
    child.on('exit', (code, signal) => resolveRun(code ?? (signal ? 1 : 0)));
  });
}

const bin = (name: string) => resolve(ROOT, 'node_modules/.bin', name);

async function start(): Promise<void> {
  const stack = await setUpStack({ log });
  console.log('\nParley is up. Connect to:');
  for (const { name, url } of stack.endpoints) console.log(`  ${name.padEnd(18)} ${url}`);
  console.log('\nPress Ctrl-C to stop everything.');
  // Ctrl-C reaches every process of the group, and the bootstrap relays it too: later signals
  // must not cut the orderly shutdown short.
  await new Promise<void>((resolveWait) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => resolveWait());
  });
  console.log('\nStopping...');
  await stack.teardown();
  console.log('Stopped.');
}

/** The fuzz specs with a million frames in all (`npm run fuzz`): 800,000 in the parser, 200,000 over sockets. */
const FUZZ_SPECS = [
  'libs/stomp/src/frame-parser.fuzz.unit.spec.ts',
  'apps/gateway/src/stomp-fuzz.int.spec.ts',
];

async function fuzz(extraArgs: readonly string[]): Promise<number> {
  process.env.PARLEY_FUZZ_PARSER_FRAMES ??= '800000';
  process.env.PARLEY_FUZZ_SOCKET_FRAMES ??= '200000';
  return test([...FUZZ_SPECS, '--verbose', ...extraArgs], { checks: false });
}

/** The README's pictures of the web app (docs/screenshots/), taken by its browser specs. */
async function screenshots(extraArgs: readonly string[]): Promise<number> {
  process.env.PARLEY_SCREENSHOTS = '1';
  return test(['apps/web-e2e', '--selectProjects', 'browser', ...extraArgs], { checks: false });
}

async function test(extraArgs: readonly string[], options = { checks: true }): Promise<number> {
  const checks: [string, string, string[], string][] = [
    ['Type-checking (tsc)', 'tsc', ['-p', 'tsconfig.json'], 'type errors'],
    // The web app is browser code (DOM, JSX, ES modules), and its browser specs run code in pages:
    // projects of their own, so the DOM's types stay out of the services'.
    ['Type-checking the web app (tsc)', 'tsc', ['-p', 'apps/web/tsconfig.json'], 'type errors'],
    // The service worker runs in a worker's global scope (WebWorker types, no DOM).
    ['Type-checking the service worker (tsc)', 'tsc', ['-p', 'apps/web/sw/tsconfig.json'], 'type errors'],
    ['Type-checking the browser specs (tsc)', 'tsc', ['-p', 'apps/web-e2e/tsconfig.json'], 'type errors'],
    // The module-boundary rule reads Nx's project graph and silently skips itself when none is cached
    // (as on a fresh clone): compute it first.
    ['Computing the project graph (nx)', 'nx', ['show', 'projects'], 'Nx errors'],
    [
      'Linting (eslint, module boundaries)',
      'eslint',
      ['--max-warnings', '0', '.'],
      'lint errors or warnings',
    ],
    [
      'Checking formatting (prettier)',
      'prettier',
      ['--check', '.'],
      'unformatted files (npm run format fixes them)',
    ],
  ];
  // PARLEY_SKIP_CHECKS=1: only the tests (a developer re-running a spec); CI always runs the checks.
  const skipChecks = !options.checks || (process.env.PARLEY_SKIP_CHECKS === '1' && !process.env.CI);
  for (const [title, tool, args, what] of skipChecks ? [] : checks) {
    log(`${title}...`);
    // `nx show projects` prints the project list: only its errors matter here.
    const code = await run(bin(tool), args, { NX_DAEMON: 'false' }, tool === 'nx');
    if (code !== 0) {
      console.error(`${what} above: fix them, then run npm test again.`);
      return code;
    }
  }
  // Tests get their own database and registry port, so they never touch what `npm start` serves.
  if (!process.env.DATABASE_URL) process.env.DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/parley_test';
  process.env.LOG_LEVEL ??= 'error';
  const stack = await setUpStack({
    log,
    registryPort: await freePort(),
    projectorPort: await freePort(),
    deliveryPort: await freePort(),
    gatewayPort: await freePort(),
    analyticsPort: await freePort(),
    gatewayOpsPort: await freePort(),
    analyticsOpsPort: await freePort(),
    notifierPort: await freePort(),
    jwtSecret: 'per-run',
  });
  let code = 1;
  try {
    log('\nRunning tests (unit, then integration against the stack)...');
    code = await run(bin('jest'), ['--ci', ...extraArgs], { ...stack.env, LOG_LEVEL: process.env.LOG_LEVEL });
  } finally {
    await stack.teardown();
  }
  return code;
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'test':
      process.exitCode = await test(rest);
      return;
    case 'fuzz':
      process.exitCode = await fuzz(rest);
      return;
    case 'screenshots':
      process.exitCode = await screenshots(rest);
      return;
    case 'bench': {
      const [which, ...args] = rest;
      if (which === 'send') return (await import('../bench/send-bench')).runSendBench(args, log);
      if (which === 'delivery') return (await import('../bench/delivery-bench')).runDeliveryBench(args, log);
      if (which === 'rebuild') return (await import('../bench/rebuild-bench')).runRebuildBench(args, log);
      if (which === 'e2e') return (await import('../bench/e2e-bench')).runE2eBench(args, log);
      if (which === 'floor') return (await import('../bench/floor-bench')).runFloorBench(args, log);
      console.error(
        'usage: tools/stack/cli.ts bench <send|delivery|rebuild|e2e|floor> [options] (see tools/bench/)',
      );
      process.exitCode = 2;
      return;
    }
    case 'soak':
      process.exitCode = await (await import('../soak/soak-cli')).runSoakCli(rest, log);
      return;
    default:
      console.error('usage: tools/stack/cli.ts <start|test|fuzz|screenshots|bench|soak> [arguments]');
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`\n${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
