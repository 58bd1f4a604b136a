import { resolve } from 'node:path';
import { serviceBuild } from './build-services';
import type { Supervisor, SupervisedProcess } from './supervisor';

const ROOT = resolve(__dirname, '../..');

export type ServiceProcess = SupervisedProcess;

/**
 * Runs one app as a child process, from its build (`buildServices`: compiled JavaScript, source maps
 * for stack traces) under `supervisor`, with its output
 * prefixed by its name, and waits until `readyUrl` answers 200. A child that dies during start-up
 * fails with its output; one that dies later is restarted (see Supervisor).
 */
export function startService(
  supervisor: Supervisor,
  name: string,
  env: Readonly<Record<string, string>>,
  readyUrl: string,
  timeoutMs = 60_000,
): Promise<ServiceProcess> {
  return supervisor.start({
    name,
    command: process.execPath,
    args: [
      // Extra node flags for the apps, for profiling (e.g. PARLEY_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof").
      ...(process.env.PARLEY_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== ''),
      '--enable-source-maps',
      serviceBuild(name),
    ],
    cwd: ROOT,
    env: { ...process.env, ...env },
    isReady: () => answers(readyUrl),
    startTimeoutMs: timeoutMs,
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}
