/** Who is typing where: conversationId → userId → epoch ms until which they count as typing. */
export type TypingState = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** How long a typing notice counts when no other follows (a typist sends one every few seconds). */
export const TYPING_SHOWN_MS = 6_000;
/** The least time between two typing notices this client sends for one conversation. */
export const TYPING_SEND_INTERVAL_MS = 3_000;

/** Whether a typing notice may go now, at most one per `intervalMs` per conversation (throttled). */
export function mayNotifyTyping(lastSentAt: number | undefined, now: number, intervalMs: number): boolean {
  return lastSentAt === undefined || now - lastSentAt >= intervalMs;
}

export function addTypist(
  state: TypingState,
  conversationId: string,
  userId: string,
  until: number,
): TypingState {
  return { ...state, [conversationId]: { ...(state[conversationId] ?? {}), [userId]: until } };
}

/** Drops typists whose notice ran out; the same object when nobody did. */
export function expireTypists(state: TypingState, now: number): TypingState {
  let changed = false;
  const next: Record<string, Record<string, number>> = {};
  for (const [conversationId, typists] of Object.entries(state)) {
    const kept = Object.entries(typists).filter(([, until]) => until > now);
    if (kept.length !== Object.keys(typists).length) changed = true;
    if (kept.length > 0) next[conversationId] = Object.fromEntries(kept);
  }
  return changed ? next : state;
}

/** The users typing in a conversation now. */
export function typistsOf(state: TypingState, conversationId: string, now: number): string[] {
  return Object.entries(state[conversationId] ?? {})
    .filter(([, until]) => until > now)
    .map(([userId]) => userId);
}

/** A typist who sent a message is done typing: they leave at once instead of when their notice runs out. */
export function removeTypist(state: TypingState, conversationId: string, userId: string): TypingState {
  const typists = state[conversationId];
  if (!typists || !(userId in typists)) return state;
  const { [userId]: _done, ...rest } = typists;
  const { [conversationId]: _conversation, ...others } = state;
  return Object.keys(rest).length > 0 ? { ...others, [conversationId]: rest } : others;
}
