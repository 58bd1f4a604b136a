export { ensureDatabase, dropDatabase, redact } from './ensure-database';
export { migrate, type MigrateOptions } from './migrate';
export { PROJECT_MIGRATIONS } from './project-migrations';
export { inTransaction } from './in-transaction';
export { SERVICE_POOL_CONFIG } from './service-pool-options';
