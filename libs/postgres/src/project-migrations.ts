import { resolve } from 'node:path';

/** The read models' migrations (root `migrations/`), applied by the set-up and by the projector. */
export const PROJECT_MIGRATIONS = {
  dir: resolve(__dirname, '../../../migrations'),
  table: 'parley_migrations',
} as const;
