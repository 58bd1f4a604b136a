import type { PoolConfig } from 'pg';

/**
 * What every service's pool shares.
 * - Connections are replaced every 10 minutes, so that a generic plan made while a table was still
 *   small (a new installation, a server without autovacuum, whose statistics never change) does not
 *   stay (docs/decisions.md, "Generic plans").
 * - An idle connection is kept for a minute, not pg's 10 seconds. Opening one costs the server about
 *   15 ms of CPU and closing it about 25 ms: with the default, pools at everyday rates shrank in
 *   every lull and grew again with the next message, 20-30 connections a minute at 50 msgs/s (about
 *   0.1-0.9 ms of PostgreSQL CPU per message; docs/status.md, "Session 15"). Not longer: the
 *   services' pools together may hold 68 connections (of PostgreSQL's default 100), and a burst's
 *   connections should go back once it is over.
 */
export const SERVICE_POOL_CONFIG = {
  maxLifetimeSeconds: 600,
  idleTimeoutMillis: 60_000,
} as const satisfies PoolConfig;

/**
 * Pool settings for a service that runs projections (the projector, analytics, the delivery worker).
 * Pipeline mode lets a projection write a chunk's whole transaction in one round trip
 * (`applyInOneRoundTrip` in libs/projections); only queries issued together on one checked-out
 * connection behave differently, and nothing else does that. The projections' statements run with
 * generic plans (made once per connection), hence the replacement in SERVICE_POOL_CONFIG.
 */
export const PROJECTION_POOL_CONFIG = {
  ...SERVICE_POOL_CONFIG,
  pipeline: true,
} as const satisfies PoolConfig;

/** For the gateway's pool, whose delivered mark keeps a generic plan (`genericArray`). */
export const GATEWAY_POOL_CONFIG = SERVICE_POOL_CONFIG;
