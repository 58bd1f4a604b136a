// Builds the publishable package into dist/libs/client: ESM bundles of the two entries (esbuild,
// dependencies left as imports), declarations (tsc), package.json and README. `npm run build:client`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

// Run from the workspace root (npm run build:client, or the Nx target).
const root = process.cwd();
const lib = join(root, 'libs/client');
const out = join(root, 'dist/libs/client');

const tsc = (project: string) =>
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], {
    stdio: 'inherit',
  });

/** Relative imports in the emitted declarations get their `.js`, as Node's ESM resolution needs. */
function addJsExtensions(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) addJsExtensions(path);
    else if (name.endsWith('.d.ts'))
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace(
          /(from\s+|import\()(['"])(\.{1,2}\/[^'"]+?)(?<!\.js)\2/g,
          '$1$2$3.js$2',
        ),
      );
  }
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  // The browser entry must compile without Node's types.
  tsc(join(lib, 'tsconfig.browser.json'));
  await build({
    entryPoints: { index: join(lib, 'src/index.ts'), node: join(lib, 'src/node.ts') },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  tsc(join(lib, 'tsconfig.lib.json'));
  addJsExtensions(out);
  copyFileSync(join(lib, 'package.json'), join(out, 'package.json'));
  copyFileSync(join(lib, 'README.md'), join(out, 'README.md'));
  console.log(`@parley/client built into ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
