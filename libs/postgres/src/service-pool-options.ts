import type { PoolConfig } from 'pg';

/**
 * Pool settings for the services' hot paths. Their statements are named (prepared once per
 * connection), but most take arrays (`unnest($1::text[])`), and for those PostgreSQL's default
 * (`plan_cache_mode = auto`) keeps choosing a fresh custom plan for every execution, because a generic
 * plan's row estimate for the arrays makes it look dearer than a plan for one element. Measured at
 * 50 msgs/s (docs/decisions.md, "Generic plans"): planning took about 1.9 ms of PostgreSQL CPU per
 * message, more than executing the statements. A generic plan is made once per connection (and again
 * when a table's statistics change); connections are replaced every 10 minutes so that a plan made
 * while a table was still small (a new installation, a server without autovacuum) does not stay.
 * A URL's own `options` parameter takes precedence.
 */
export const SERVICE_POOL_CONFIG = {
  options: '-c plan_cache_mode=force_generic_plan',
  maxLifetimeSeconds: 600,
} as const satisfies PoolConfig;
