// The signed-in session, kept in localStorage so a reload (or another tab) stays signed in. Only
// what login answered is kept (never the password); an expired token is dropped on reading.
import type { SignedIn } from './api';

export interface Session extends SignedIn {
  /** Known when this browser signed up the account (no call answers it yet). */
  readonly displayName?: string;
}

export const SESSION_KEY = 'parley.session';

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** The kept session, or null when there is none, it is damaged or its token has expired. */
export function readSession(store: KeyValueStore, now: number): Session | null {
  let value: unknown;
  try {
    value = JSON.parse(store.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { userId, username, token, expiresAt, displayName } = value as Record<string, unknown>;
  if (!isText(userId) || !isText(username) || !isText(token) || !isText(expiresAt)) return null;
  const expires = Date.parse(expiresAt);
  if (Number.isNaN(expires) || expires <= now) return null;
  return { userId, username, token, expiresAt, ...(isText(displayName) ? { displayName } : {}) };
}

export function writeSession(store: KeyValueStore, session: Session): void {
  store.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(store: KeyValueStore): void {
  store.removeItem(SESSION_KEY);
}
