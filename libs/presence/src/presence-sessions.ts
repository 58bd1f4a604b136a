import type { Logger } from '@parley/logging';
import type { PresenceTracker } from './presence-tracker';

/**
 * The presence side of one gateway node's sessions: a session that opens makes its user online; the
 * node refreshes all its live sessions together, every third of the session TTL, in one pipeline (so
 * a node that dies lets them expire); a session that closes lets its user go offline after the grace
 * period unless another session is there. Redis errors are logged: presence is live state.
 */
export class PresenceSessions {
  /** Each live session's user. */
  private readonly live = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly tracker: PresenceTracker,
    sessionTtlMs: number,
    private readonly logger?: Logger,
  ) {
    this.timer = setInterval(() => this.refresh(), sessionTtlMs / 3);
    this.timer.unref();
  }

  opened(userId: string, sessionId: string): void {
    this.live.set(sessionId, userId);
    this.tracker.sessionAlive(userId, sessionId).catch((error: unknown) => {
      this.logger?.warn({ err: error, userId }, 'presence not recorded (Redis)');
    });
  }

  closed(sessionId: string): void {
    const userId = this.live.get(sessionId);
    if (userId === undefined) return; // already ended by closeAll()
    this.live.delete(sessionId);
    this.tracker.sessionClosed(userId, sessionId).catch((error: unknown) => {
      this.logger?.warn({ err: error, userId }, 'presence not updated (Redis)');
    });
  }

  /** The node stops: every session closes now, while Redis is still there, so presence follows at once. */
  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    const sessions = [...this.live];
    this.live.clear();
    await Promise.all(
      sessions.map(([sessionId, userId]) =>
        this.tracker.sessionClosed(userId, sessionId).catch(() => undefined),
      ),
    );
  }

  private refresh(): void {
    const sessions = [...this.live].map(([sessionId, userId]) => ({ userId, sessionId }));
    this.tracker.sessionsAlive(sessions).catch((error: unknown) => {
      this.logger?.warn({ err: error, sessions: sessions.length }, 'presence not refreshed (Redis)');
    });
  }
}
