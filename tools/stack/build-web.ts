import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** Where the web app is built, and what the gateway serves at `/` (apps/gateway/src/main.ts). */
export const WEB_APP_BUILD = resolve(ROOT, 'dist/apps/web');

/** What the build reads: the app, the SDK it bundles, and the lock file (a new Vite or React changes the output). */
const WEB_APP_SOURCES = [
  'apps/web/src',
  'apps/web/sw',
  'libs/client/src',
  'apps/web/public',
  'apps/web/index.html',
  'apps/web/vite.config.mts',
];
const WEB_APP_INPUTS = [...WEB_APP_SOURCES, 'package-lock.json'].map((path) => resolve(ROOT, path));

/**
 * The newest modification time under the given files and folders. Folders count too: deleting a
 * file changes its folder's time, so a deletion also makes the build stale.
 */
export function newestChange(paths: readonly string[]): number {
  let newest = 0;
  const visit = (path: string) => {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      return;
    }
    newest = Math.max(newest, stats.mtimeMs);
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  paths.forEach(visit);
  return newest;
}

/**
 * Whether dist/apps/web is newer than everything it is built from. Vite writes index.html last, so
 * its time is when the build finished (a failed build leaves none, or an older one).
 */
export function webBuildIsCurrent(): boolean {
  let built: number;
  try {
    built = statSync(join(WEB_APP_BUILD, 'index.html')).mtimeMs;
  } catch {
    return false;
  }
  return built >= newestChange(WEB_APP_INPUTS);
}

export type WebBuild =
  | { readonly built: false }
  /** `warnings`: what Vite printed (at log level warn, only its warnings). */
  | { readonly built: true; readonly ms: number; readonly warnings: string };

/**
 * Builds the web app with Vite into dist/apps/web, unless that is newer than its sources (then it
 * takes no time, which keeps `npm test` fast). Vite runs in a child process: it is an ES module,
 * and its memory goes with the child instead of staying with the stack that supervises services.
 */
export async function buildWebApp(options: { force?: boolean } = {}): Promise<WebBuild> {
  if (!options.force && webBuildIsCurrent()) return { built: false };
  const started = performance.now();
  const output: string[] = [];
  const code = await new Promise<number>((resolveBuild, rejectBuild) => {
    const child = spawn(
      process.execPath,
      [resolve(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'apps/web', '--logLevel', 'warn'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
    );
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', rejectBuild);
    child.on('exit', (exitCode, signal) => resolveBuild(exitCode ?? (signal ? 1 : 0)));
  });
  if (code !== 0) throw new Error(`the web app's build (vite build apps/web) failed:\n${output.join('')}`);
  return { built: true, ms: Math.round(performance.now() - started), warnings: output.join('').trim() };
}
