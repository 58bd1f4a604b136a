// Type-aware lint for the whole workspace, plus Nx module boundaries. Every project has one layer
// tag, and imports only go down the layers (docs/architecture.md):
//   app → edge (HTTP, STOMP sessions) → service (domain services) → infra (clients, runners) → pure
// Pure libs import no I/O library; test support (libs/testing, chat-traffic) is for specs and tools.
// The web app (layer:web) runs in browsers: it may import only the client SDK and pure libs.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import jest from 'eslint-plugin-jest';

const IO_LIBRARIES = [
  'kafkajs',
  '@kafkajs/*',
  'pg',
  'ioredis',
  'express',
  'ws',
  'node-pg-migrate',
  'pino',
  'openid-client',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.parley/**',
      '.nx/**',
      'dist/**',
      '**/*.js',
      '**/*.mjs',
      'libs/events/src/generated/**',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
      // kafkajs and jest take async callbacks that need not await anything.
      '@typescript-eslint/require-await': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          // Only the specs of kafka and postgres use the testing lib, which is built on them.
          ignoredCircularDependencies: [
            ['testing', 'kafka'],
            ['testing', 'postgres'],
          ],
          depConstraints: [
            { sourceTag: 'layer:tool', onlyDependOnLibsWithTags: ['*'] },
            {
              sourceTag: 'layer:app',
              onlyDependOnLibsWithTags: ['layer:edge', 'layer:service', 'layer:infra', 'layer:pure'],
            },
            {
              sourceTag: 'layer:edge',
              onlyDependOnLibsWithTags: ['layer:service', 'layer:infra', 'layer:pure'],
            },
            {
              sourceTag: 'layer:service',
              onlyDependOnLibsWithTags: ['layer:service', 'layer:infra', 'layer:pure'],
            },
            { sourceTag: 'layer:infra', onlyDependOnLibsWithTags: ['layer:infra', 'layer:pure'] },
            {
              sourceTag: 'layer:testing',
              onlyDependOnLibsWithTags: ['layer:testing', 'layer:infra', 'layer:pure'],
            },
            {
              sourceTag: 'layer:web',
              onlyDependOnLibsWithTags: ['layer:client', 'layer:pure'],
              bannedExternalImports: IO_LIBRARIES,
            },
            {
              sourceTag: 'layer:pure',
              onlyDependOnLibsWithTags: ['layer:pure'],
              bannedExternalImports: IO_LIBRARIES,
            },
            // The client SDK is published on its own: it imports no other Parley lib, and nothing
            // of the server's I/O (its Node entry's `ws` is allowed by the rule below).
            {
              sourceTag: 'layer:client',
              onlyDependOnLibsWithTags: [],
              bannedExternalImports: IO_LIBRARIES.filter((name) => name !== 'ws'),
            },
          ],
        },
      ],
    },
  },
  {
    // The SDK's browser entry and everything it reaches: no Node module, no `ws` (only
    // libs/client/src/node.ts and libs/client/src/node/ may use them).
    files: ['libs/client/src/**/*.ts'],
    ignores: ['libs/client/src/node.ts', 'libs/client/src/node/**', 'libs/client/src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'the browser entry of @parley/client imports no Node module' },
            { group: ['ws'], message: 'the browser entry of @parley/client uses the global WebSocket' },
          ],
          paths: ['fs', 'path', 'os', 'crypto', 'net', 'http', 'https', 'url', 'events', 'stream', 'buffer'],
        },
      ],
    },
  },
  {
    // Tests (and the test support beside an app's src/) may reach into any lib and use the client
    // libraries directly.
    files: ['**/*.spec.ts', 'apps/*/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // A test must be able to fail: it asserts something, runs (nothing focused or left disabled), and
    // its expects are complete and awaited.
    files: ['**/*.spec.ts'],
    plugins: { jest },
    rules: {
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect'] }],
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/valid-expect': 'error',
    },
  },
);
