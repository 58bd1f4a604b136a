#!/usr/bin/env node
// Entry of `npm start` and `npm test` on a fresh clone: plain JavaScript, because nothing is
// installed yet. Installs dependencies when they are missing or older than package-lock.json,
// then hands over to the TypeScript stack tool (tools/stack/cli.ts).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { accessSync, constants, existsSync, statSync } = require('node:fs');
const { delimiter, join, resolve } = require('node:path');

const root = resolve(__dirname, '..');

function dependenciesAreCurrent() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return false;
  return statSync(installed).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs;
}

const [major, minor] = process.versions.node.split('.').map(Number);
// 20.19: Vite 8, which builds the web app, needs it (it loads ES modules with require).
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Parley needs Node.js 20.19 or newer; this is ${process.version}.`);
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

// The browser tests drive Debian's Chromium (libs/testing launchBrowser). Keep these names in step
// with CHROMIUM_NAMES there.
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];
const CHROMIUM_HOW_TO =
  'install it with `sudo apt-get update && sudo apt-get install -y chromium` (Debian, Ubuntu), or set ' +
  'PARLEY_CHROMIUM to a Chromium or Chrome binary, then run the command again';

function findChromium() {
  if (process.env.PARLEY_CHROMIUM) return process.env.PARLEY_CHROMIUM;
  const dirs = (process.env.PATH || '').split(delimiter).filter(Boolean);
  for (const name of CHROMIUM_NAMES) {
    for (const dir of dirs) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not there; the next one
      }
    }
  }
  return undefined;
}

/** The Chromium for the browser tests: found, or installed with apt-get when this runs as root. */
function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!root || !apt) {
    console.error(`The browser tests need Chromium, which is not installed: ${CHROMIUM_HOW_TO}.`);
    process.exit(1);
  }
  console.log('Installing Chromium for the browser tests (apt-get update, apt-get install -y chromium)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'chromium']]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) {
      console.error(`apt-get ${args.join(' ')} failed (is the network reachable?): ${CHROMIUM_HOW_TO}.`);
      process.exit(result.status || 1);
    }
  }
  const installed = findChromium();
  if (!installed) {
    console.error(`Chromium was installed but is not on PATH: ${CHROMIUM_HOW_TO}.`);
    process.exit(1);
  }
  return installed;
}

// Only the commands that run the browser tests need it (`npm start` serves the app to your browser).
if (['test', 'screenshots'].includes(process.argv[2])) process.env.PARLEY_CHROMIUM = ensureChromium();

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
