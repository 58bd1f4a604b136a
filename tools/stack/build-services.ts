import { resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(__dirname, '../..');

/** The services `npm start` runs (the CLI stays TypeScript: it runs briefly, on a developer's command). */
export const SERVICES = [
  'schema-registry',
  'projector',
  'delivery',
  'gateway',
  'analytics',
  'notifier',
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Where a service's build lands: three levels down, like `libs/<lib>/src/`, so paths to the repository's schemas and migrations resolve the same from both. */
export const serviceBuild = (name: string): string => resolve(ROOT, 'dist/apps', name, 'main.js');

/**
 * Compiles every service to one JavaScript file each (esbuild, with the workspace's path aliases;
 * packages stay in node_modules), so no TypeScript is compiled while the services run: a service
 * starts faster and holds no compiler. It takes about a second, so every start builds afresh and a
 * build can never be stale.
 */
export async function buildServices(): Promise<void> {
  await build({
    entryPoints: Object.fromEntries(SERVICES.map((name) => [name + '/main', `apps/${name}/src/main.ts`])),
    absWorkingDir: ROOT,
    outdir: resolve(ROOT, 'dist/apps'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: true,
    tsconfig: resolve(ROOT, 'tsconfig.base.json'),
    logLevel: 'error',
  });
}
