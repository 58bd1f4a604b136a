// Who is who: Parley answers user ids (members, senders) and looks users up only by username
// (PROTOCOL §1), so the app keeps the names it has learnt (the user's own, and every lookup) in
// localStorage. A user it never looked up shows by a short form of their id.
import type { UserProfile } from '@parley/client';

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem'>;

export type Directory = Readonly<Record<string, UserProfile>>;

const USERS_KEY = 'parley.users';
const OWNED_KEY = 'parley.owned-groups';

function readJson(store: KeyValueStore, key: string): unknown {
  try {
    return JSON.parse(store.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

const isProfile = (value: unknown): value is UserProfile =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as UserProfile).userId === 'string' &&
  typeof (value as UserProfile).username === 'string';

export function readDirectory(store: KeyValueStore): Directory {
  const value = readJson(store, USERS_KEY);
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter(([, profile]) => isProfile(profile)));
}

/** The directory with `profile` in it (the same object when nothing changed). */
export function remember(directory: Directory, profile: UserProfile): Directory {
  const known = directory[profile.userId];
  if (known && known.username === profile.username && known.displayName === profile.displayName)
    return directory;
  return { ...directory, [profile.userId]: profile };
}

export function writeDirectory(store: KeyValueStore, directory: Directory): void {
  store.setItem(USERS_KEY, JSON.stringify(directory));
}

/** What to call a user: their display name, else @username, else a short form of their id. */
export function nameOf(directory: Directory, userId: string): string {
  const profile = directory[userId];
  if (!profile) return `User ${userId.slice(0, 8)}`;
  return profile.displayName ?? `@${profile.username}`;
}

/**
 * Groups this browser created: only a group's creator removes others (PROTOCOL §2.3), and the
 * conversation does not say who that is, so the app remembers the groups it created.
 */
export function readOwnedGroups(store: KeyValueStore): readonly string[] {
  const value = readJson(store, OWNED_KEY);
  return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
}

export function addOwnedGroup(store: KeyValueStore, conversationId: string): void {
  const owned = readOwnedGroups(store);
  if (!owned.includes(conversationId)) store.setItem(OWNED_KEY, JSON.stringify([...owned, conversationId]));
}

/** Forgets the names and the groups (at sign-out). */
export function forgetDirectory(store: Pick<Storage, 'removeItem'>): void {
  store.removeItem(USERS_KEY);
  store.removeItem(OWNED_KEY);
}
