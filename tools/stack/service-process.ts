import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

export interface ServiceProcess {
  readonly name: string;
  stop(): Promise<void>;
}

/**
 * Runs one app (`apps/<name>/src/main.ts`) as a child process with its output prefixed by its name,
 * and waits until `readyUrl` answers 200. A child that dies during start-up fails with its output.
 */
export async function startService(
  name: string,
  env: Readonly<Record<string, string>>,
  readyUrl: string,
  timeoutMs = 60_000,
): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // Extra node flags for the apps, for profiling (e.g. PARLEY_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof").
      ...(process.env.PARLEY_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== ''),
      '--import',
      'tsx',
      resolve(ROOT, `apps/${name}/src/main.ts`),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const recent: string[] = [];
  const relay = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      recent.push(line);
      if (recent.length > 30) recent.shift();
      process.stdout.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = await Promise.race([
      exited,
      new Promise<'running'>((r) => setTimeout(() => r('running'), 250)),
    ]);
    if (exit !== 'running') {
      throw new Error(`${name} exited with code ${exit} during start-up:\n${recent.join('\n')}`);
    }
    if (await answers(readyUrl)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become ready at ${readyUrl} within ${timeoutMs / 1000} s`);
    }
  }
  return {
    name,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}
