// Who is who: messages and conversations name users by id; the SDK looks the names up
// (`GET /v1/users/{userId}`) and keeps them in `client.users` for the signed-in session.
export { displayNameOf as nameOf, type UserDirectory as Directory } from '@parley/client';

/** What the app kept in localStorage before the SDK knew names: removed at sign-out. */
const LEGACY_KEYS = ['parley.users', 'parley.owned-groups'];

/** Forgets what an earlier version of the app kept about other users. */
export function forgetLegacyDirectory(store: Pick<Storage, 'removeItem'>): void {
  for (const key of LEGACY_KEYS) store.removeItem(key);
}
