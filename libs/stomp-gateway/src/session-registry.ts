import type { StompSession } from './stomp-session';

/** The STOMP sessions connected to this gateway node, by user. */
export class SessionRegistry {
  private readonly byUser = new Map<string, Set<StompSession>>();

  add(session: StompSession): void {
    const userId = session.user;
    if (!userId) return;
    let sessions = this.byUser.get(userId);
    if (!sessions) this.byUser.set(userId, (sessions = new Set()));
    sessions.add(session);
  }

  remove(session: StompSession): void {
    const userId = session.user;
    const sessions = userId ? this.byUser.get(userId) : undefined;
    if (!sessions || !userId) return;
    sessions.delete(session);
    if (sessions.size === 0) this.byUser.delete(userId);
  }

  sessionsOf(userId: string): readonly StompSession[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /** Ends every session of the user on this node with an ERROR naming the reason. */
  kickUser(userId: string, code: string, message: string): number {
    const sessions = this.sessionsOf(userId);
    for (const session of sessions) session.kick(code, message);
    return sessions.length;
  }

  /** Ends the user's live feeds of one conversation on this node (the user left or was removed). */
  endConversationFeeds(userId: string, conversationId: string): number {
    let ended = 0;
    for (const session of this.sessionsOf(userId)) ended += session.endConversationFeed(conversationId);
    return ended;
  }

  get size(): number {
    let total = 0;
    for (const sessions of this.byUser.values()) total += sessions.size;
    return total;
  }
}
