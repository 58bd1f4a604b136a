import type { Redis } from 'ioredis';
import { PresenceTracker } from '@parley/presence';
import type { EventPublisher } from '@parley/publishing';

/**
 * For the delivery specs that run DeliveryJobs: a presence tracker whose sessions expire within
 * seconds, so a spec's users never count as online for long.
 */
export function specPresence(redis: Redis, prefix: string, publisher: EventPublisher): PresenceTracker {
  return new PresenceTracker(redis, prefix, publisher, { sessionTtlMs: 3_000, offlineGraceMs: 500 });
}
