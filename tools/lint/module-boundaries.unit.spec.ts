// The layer rules of eslint.config.mjs, shown on imports that must fail and imports that must pass:
// a wrong import fails `npm test`, and a rule that silently stopped working (no project graph, a
// renamed tag) fails this spec instead of letting everything through. The probes are real files
// in the projects (type-aware lint only reads files the tsconfig holds), linted by one eslint
// process and removed afterwards.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '../..');

interface Probe {
  readonly what: string;
  readonly dir: string;
  readonly source: string;
  readonly allowed: boolean;
}

const probes: Probe[] = [
  ['a domain service imports an edge lib', 'libs/messaging/src', "import '@parley/http-api';", false],
  ['an infrastructure lib imports a domain service', 'libs/kafka/src', "import '@parley/messaging';", false],
  ['a pure lib imports an infrastructure lib', 'libs/domain/src', "import '@parley/logging';", false],
  ['a pure lib imports an I/O library', 'libs/domain/src', "import 'pg';", false],
  ['an app imports the test support', 'apps/gateway/src', "import '@parley/testing';", false],
  ['a lib imports an app', 'libs/messaging/src', "import '../../../apps/gateway/src/gateway';", false],
  ['an app imports an edge lib', 'apps/gateway/src', "import '@parley/http-api';", true],
  ['an edge lib imports a domain service', 'libs/http-api/src', "import '@parley/messaging';", true],
  ['a domain service imports another', 'libs/delivery/src', "import '@parley/presence';", true],
  ['a domain service imports infrastructure', 'libs/presence/src', "import '@parley/kafka';", true],
  ['a pure lib imports a pure lib', 'libs/config/src', "import '@parley/topics';", true],
  ['the client SDK imports another Parley lib', 'libs/client/src', "import '@parley/domain';", false],
  ['the client SDK imports a server I/O library', 'libs/client/src', "import 'pg';", false],
  ['the client SDK’s browser entry imports a Node module', 'libs/client/src', "import 'node:fs';", false],
  ['the client SDK’s browser entry imports ws', 'libs/client/src', "import 'ws';", false],
  ['the client SDK imports stompjs', 'libs/client/src', "import '@stomp/stompjs';", true],
  [
    'the client SDK’s Node entry imports ws and Node modules',
    'libs/client/src/node',
    "import 'ws';\nimport 'node:fs';",
    true,
  ],
  ['the web app imports a domain service', 'apps/web/src', "import '@parley/accounts';", false],
  ['the web app imports an I/O library', 'apps/web/src', "import 'pg';", false],
  ['the web app imports a pure lib', 'apps/web/src', "import '@parley/domain';", true],
].map(([what, dir, source, allowed]) => ({ what, dir, source, allowed }) as Probe);

const files = probes.map((probe, i) => join(root, probe.dir, `boundary-probe-${i}.ts`));
let errorsByFile = new Map<string, string[]>();

beforeAll(() => {
  // The rule reads Nx's project graph and skips itself silently without one: compute it first.
  spawnSync(join(root, 'node_modules/.bin/nx'), ['show', 'projects'], {
    cwd: root,
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  probes.forEach((probe, i) => writeFileSync(files[i] as string, `${probe.source}\nexport {};\n`));
  try {
    const run = spawnSync(join(root, 'node_modules/.bin/eslint'), ['--format', 'json', ...files], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    const results = JSON.parse(run.stdout) as {
      filePath: string;
      messages: { ruleId: string | null; message: string }[];
    }[];
    errorsByFile = new Map(
      results.map((r) => [
        r.filePath,
        r.messages
          .filter((m) => m.ruleId === '@nx/enforce-module-boundaries' || m.ruleId === 'no-restricted-imports')
          .map((m) => m.message),
      ]),
    );
  } finally {
    for (const file of files) rmSync(file, { force: true });
  }
}, 120_000);

describe('module boundaries (eslint.config.mjs)', () => {
  it.each(probes.map((probe, i) => [probe.allowed ? 'allows' : 'refuses', probe.what, i] as const))(
    '%s: %s',
    (_verdict, _what, i) => {
      const probe = probes[i] as Probe;
      const errors = errorsByFile.get(files[i] as string);
      expect(errors).toBeDefined(); // the file was linted at all
      if (probe.allowed) expect(errors).toEqual([]);
      else expect(errors).not.toEqual([]);
    },
  );

  it('lints the probes where they are', () => {
    expect([...errorsByFile.keys()].map((f) => relative(root, f)).sort()).toEqual(
      files.map((f) => relative(root, f)).sort(),
    );
  });
});
