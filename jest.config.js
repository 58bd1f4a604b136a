// Three tiers, named by file suffix: `*.unit.spec.ts` needs no infrastructure,
// `*.int.spec.ts` talks to the real Kafka, schema registry, PostgreSQL and Redis that
// `npm test` brings up (tools/stack) and describes through environment variables, and
// `*.browser.spec.ts` drives the web app in headless Chromium against a gateway on that stack.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

/** Packages published as ES modules only, which jest's CommonJS loader cannot load as they are. */
const ESM_ONLY = ['openid-client', 'oauth4webapi'];

const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/infra', '<rootDir>/tools'],
  // Type errors are caught once by `tsc` in `npm test`; per-file transpiling keeps jest fast on 2 cores.
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // ES-module-only packages (and what they nest, jose 6) to CommonJS: tools/jest/esm-package-transform.js.
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: '<rootDir>/tools/jest/esm-package-transform.js',
  },
  transformIgnorePatterns: [`^(?!.*/node_modules/(${ESM_ONLY.join('|')})/).*/node_modules/`],
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
