import type { PoolConfig } from 'pg';

/**
 * No JIT compilation on the services' connections. Their statements are short batched reads and
 * writes; PostgreSQL compiles a plan whose estimate passes `jit_above_cost` (100,000 by default),
 * and generic plans of array statements are estimated for arrays of 10 rows whatever they hold:
 * the analytics read count, linear since it matches each delivery once, is estimated high enough
 * to be compiled at every chunk, about 650 ms each (a whole chunk of 2,000 reads takes 55 ms
 * without it).
 */
const NO_JIT = { options: '-c jit=off' } as const satisfies PoolConfig;

/**
 * Pool settings for a service that runs projections (the projector, analytics, the delivery worker).
 * Pipeline mode lets a projection write a chunk's whole transaction in one round trip
 * (`applyInOneRoundTrip` in libs/projections); only queries issued together on one checked-out
 * connection behave differently, and nothing else does that. The projections' statements run with
 * generic plans (made once per connection: docs/decisions.md, "Generic plans"); connections are
 * replaced every 10 minutes so that a plan made while a table was still small (a new installation, a
 * server without autovacuum, whose statistics never change) does not stay.
 */
export const PROJECTION_POOL_CONFIG = {
  pipeline: true,
  maxLifetimeSeconds: 600,
  ...NO_JIT,
} as const satisfies PoolConfig;

/**
 * For the gateway's pool, whose delivered mark keeps a generic plan (`genericArray`): replaced every
 * 10 minutes, for the same reason.
 */
export const GATEWAY_POOL_CONFIG = { maxLifetimeSeconds: 600, ...NO_JIT } as const satisfies PoolConfig;

/** For a projection rebuild's connections (the CLI): the same statements as the projections. */
export const REBUILD_POOL_CONFIG = NO_JIT;
