import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '@parley/logging';
import type { EventPublisher } from '@parley/publishing';
import { presenceKeys, type PresenceKeys } from './presence-keys';

export interface PresenceOptions {
  /** A session not refreshed for this long is gone (its gateway died). */
  readonly sessionTtlMs: number;
  /** Going offline waits this long for a reconnect, so reconnects do not flap. */
  readonly offlineGraceMs: number;
}

/**
 * Ends one session (KEYS: sessions, due; ARGV: now, sessionId, grace end, userId). When no live
 * session is left, the user is due at the end of the grace period, earlier than the expiry the
 * last refresh put there: a clean disconnect goes offline after the grace, not after the TTL.
 */
const CLOSE_SESSION = `
redis.call('ZREM', KEYS[1], ARGV[2])
if redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf') == 0 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
end
return 0`;

/**
 * Looks at one due user (KEYS: sessions, due, state; ARGV: now, userId): drops expired sessions;
 * with one left, the user is due again when it expires; with none, the state turns offline.
 * Returns 1 when it turned offline from online.
 */
const SWEEP_USER = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if latest[2] then
  redis.call('ZADD', KEYS[2], latest[2], ARGV[2])
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('SET', KEYS[3], 'offline', 'GET') == 'online' then return 1 end
return 0`;

/**
 * Presence in Redis (it may be lost: a Redis restart makes everybody offline until they refresh).
 * A user's sessions are refreshed while they live (their heart-beats keep them alive); the due set
 * holds when to look at a user again (a session's expiry, or the end of the grace period after the
 * last session closed); the state is flipped with SET … GET, so however many nodes look, each flip
 * produces one PresenceChanged. The keys are in presence-keys.ts.
 */
export class PresenceTracker {
  private readonly keys: PresenceKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly publisher: EventPublisher,
    private readonly options: PresenceOptions,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = presenceKeys(prefix);
  }

  /** A session connected (or refreshed): the user is online. */
  sessionAlive(userId: string, sessionId: string): Promise<void> {
    return this.sessionsAlive([{ userId, sessionId }]);
  }

  /**
   * Many sessions still alive (a gateway node's periodic refresh): one pipeline for all of them
   * instead of a transaction each; users whose state was not online yet flip.
   */
  async sessionsAlive(sessions: readonly { userId: string; sessionId: string }[]): Promise<void> {
    if (sessions.length === 0) return;
    const expires = this.now() + this.options.sessionTtlMs;
    const pipeline = this.redis.pipeline();
    for (const { userId, sessionId } of sessions)
      pipeline
        .zadd(this.keys.sessions(userId), expires, sessionId)
        .pexpire(this.keys.sessions(userId), this.options.sessionTtlMs * 2)
        .zadd(this.keys.due, 'GT', expires, userId)
        .set(this.keys.state(userId), 'online', 'GET');
    const results = (await pipeline.exec()) ?? [];
    const flipped = new Set<string>();
    sessions.forEach(({ userId }, i) => {
      const [error, previous] = results[i * 4 + 3] ?? [null, 'online'];
      if (!error && previous !== 'online') flipped.add(userId);
    });
    for (const userId of flipped) await this.flip(userId, 'ONLINE');
  }

  /** A session closed: the user goes offline after the grace period unless a session is back. */
  async sessionClosed(userId: string, sessionId: string): Promise<void> {
    const now = this.now();
    await this.redis.eval(
      CLOSE_SESSION,
      2,
      this.keys.sessions(userId),
      this.keys.due,
      now,
      sessionId,
      now + this.options.offlineGraceMs,
      userId,
    );
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.redis.get(this.keys.state(userId))) === 'online';
  }

  async onlineOf(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const states = await this.redis.mget(userIds.map((id) => this.keys.state(id)));
    return new Set(userIds.filter((_, i) => states[i] === 'online'));
  }

  /**
   * Looks at the users whose time has come: those with a live session stay online (looked at again
   * when it expires), the others go offline. Run it every second or so, on any number of nodes.
   * Answers the users it turned offline (each flip is seen by one sweep only).
   */
  async sweep(): Promise<string[]> {
    const now = this.now();
    const due = await this.redis.zrangebyscore(this.keys.due, '-inf', now, 'LIMIT', 0, 1000);
    const offline: string[] = [];
    for (const userId of due) {
      // One script per user: a session that connects while the user is looked at either counts (the
      // user stays online) or comes after the flip to offline (and flips back). Done in steps, a
      // reconnect between "no session" and "offline" left a connected user offline.
      const flipped = await this.redis.eval(
        SWEEP_USER,
        3,
        this.keys.sessions(userId),
        this.keys.due,
        this.keys.state(userId),
        now,
        userId,
      );
      if (flipped === 1) {
        offline.push(userId);
        await this.flip(userId, 'OFFLINE');
      }
    }
    return offline;
  }

  private async flip(userId: string, status: 'ONLINE' | 'OFFLINE'): Promise<void> {
    const at = this.now();
    try {
      await this.publisher.publish([
        { type: 'PresenceChanged', eventId: randomUUID(), occurredAt: at, userId, status, lastSeen: at },
      ]);
    } catch (error) {
      // Presence is live state: the flip stands in Redis; the event is what could not be recorded.
      this.logger?.warn({ err: error, userId, status }, 'PresenceChanged not recorded');
    }
  }
}
