import { LeanMultimap } from '@parley/runtime';
import type { StompSession } from './stomp-session';

/** The STOMP sessions connected to this gateway node, by user. */
export class SessionRegistry {
  // Most users have one session on a node: held without a Set of its own (see LeanMultimap).
  private readonly byUser = new LeanMultimap<string, StompSession>();

  add(session: StompSession): void {
    const userId = session.user;
    if (userId) this.byUser.add(userId, session);
  }

  remove(session: StompSession): void {
    const userId = session.user;
    if (userId) this.byUser.delete(userId, session);
  }

  sessionsOf(userId: string): readonly StompSession[] {
    return this.byUser.get(userId);
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
    return this.byUser.size;
  }
}
