export { ensureDatabase, dropDatabase, redact } from './ensure-database';
export { migrate, type MigrateOptions } from './migrate';
export { PROJECT_MIGRATIONS } from './project-migrations';
export { inTransaction } from './in-transaction';
export { GATEWAY_POOL_CONFIG, PROJECTION_POOL_CONFIG, SERVICE_POOL_CONFIG } from './projection-pool-config';
export { genericArray } from './generic-array';
export { logConnectionFailures } from './connection-failures';
