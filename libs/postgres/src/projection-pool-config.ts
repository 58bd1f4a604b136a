import type { PoolConfig } from 'pg';

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
} as const satisfies PoolConfig;

/**
 * For the gateway's pool, whose delivered mark keeps a generic plan (`genericArray`): replaced every
 * 10 minutes, for the same reason.
 */
export const GATEWAY_POOL_CONFIG = { maxLifetimeSeconds: 600 } as const satisfies PoolConfig;
