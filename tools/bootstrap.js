#!/usr/bin/env node
// Entry of `npm start` and `npm test` on a fresh clone: plain JavaScript, because nothing is
// installed yet. Installs dependencies when they are missing or older than package-lock.json,
// then hands over to the TypeScript stack tool (tools/stack/cli.ts).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');

function dependenciesAreCurrent() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return false;
  return statSync(installed).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs;
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 11)) {
  console.error(`Parley needs Node.js 20.11 or newer; this is ${process.version}.`);
  process.exit(1);
}

if (!dependenciesAreCurrent()) {
  console.log('Installing dependencies (npm ci)...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('npm ci failed: check that the npm registry is reachable, then run the command again.');
    process.exit(result.status ?? 1);
  }
}

// `--import tsx` runs TypeScript in this one child (no wrapper process between signals and the tool).
const child = spawn(
  process.execPath,
  ['--import', 'tsx', join(root, 'tools/stack/cli.ts'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
// Ctrl-C reaches the whole process group; the stack tool shuts down in order and we wait for it.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
