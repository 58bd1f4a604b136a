// Three tiers, named by file suffix: `*.unit.spec.ts` needs no infrastructure,
// `*.int.spec.ts` talks to the real Kafka, schema registry, PostgreSQL and Redis that
// `npm test` brings up (tools/stack) and describes through environment variables, and
// `*.browser.spec.ts` drives the web app in headless Chromium against a gateway on that stack.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/infra', '<rootDir>/tools'],
  // Type errors are caught once by `tsc` in `npm test`; per-file transpiling keeps jest fast on 2 cores.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    {
      ...shared,
      displayName: 'int',
      testMatch: ['**/*.int.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/tools/jest/int-setup.js'],
      slowTestThreshold: 30,
    },
    {
      ...shared,
      displayName: 'browser',
      testMatch: ['**/*.browser.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/tools/jest/int-setup.js'],
      slowTestThreshold: 30,
    },
  ],
};
