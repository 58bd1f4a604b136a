import type { ParleyEvent } from '@parley/events';

/** What a gateway node does about an event that takes a right away. */
export type Revocation =
  | { readonly kind: 'end-feed'; readonly userId: string; readonly conversationId: string }
  | { readonly kind: 'end-sessions'; readonly userId: string; readonly status: string };

/** How long a removal is remembered: longer than the read model can lag behind the log. */
export const REMOVAL_MEMORY_MS = 5 * 60_000;

/**
 * The rights that the log took away and the read models may not show yet (pure: events and the
 * clock in, decisions out). A member removed from a conversation loses its live feed; a blocked or
 * deleted account loses its sessions and may not send. Later events give rights back in log order.
 */
export class Revocations {
  /** "conversationId\0userId" → when the removal was seen. */
  private readonly removed = new Map<string, number>();
  private readonly disabled = new Set<string>();

  apply(event: ParleyEvent, nowMs: number): readonly Revocation[] {
    switch (event.type) {
      case 'MemberRemoved':
        this.forgetOld(nowMs);
        this.removed.delete(key(event.conversationId, event.userId)); // re-inserted last: time order
        this.removed.set(key(event.conversationId, event.userId), nowMs);
        return [{ kind: 'end-feed', userId: event.userId, conversationId: event.conversationId }];
      case 'MemberAdded':
        this.removed.delete(key(event.conversationId, event.userId));
        return [];
      case 'UserStatusChanged':
        if (event.status === 'ACTIVE') {
          this.disabled.delete(event.userId);
          return [];
        }
        this.disabled.add(event.userId);
        return [{ kind: 'end-sessions', userId: event.userId, status: event.status }];
      default:
        return [];
    }
  }

  /** Removed from the conversation lately (the read model may still list the user as a member). */
  wasRemoved(conversationId: string, userId: string, nowMs: number): boolean {
    const at = this.removed.get(key(conversationId, userId));
    return at !== undefined && nowMs - at < REMOVAL_MEMORY_MS;
  }

  /** Blocked or deleted since this node started reading the log. */
  isDisabled(userId: string): boolean {
    return this.disabled.has(userId);
  }

  private forgetOld(nowMs: number): void {
    for (const [entry, at] of this.removed) {
      if (nowMs - at < REMOVAL_MEMORY_MS) break; // insertion order is time order
      this.removed.delete(entry);
    }
  }
}

const key = (conversationId: string, userId: string) => `${conversationId}\u0000${userId}`;
