/**
 * Every Redis key presence uses, under the environment's key prefix: named here and nowhere else.
 *
 * - `presence:sessions:{user}`: sorted set of session ids scored by expiry;
 * - `presence:due`: sorted set of users to look at, scored by when;
 * - `presence:state:{user}`: `online` or `offline`.
 */
export interface PresenceKeys {
  sessions(userId: string): string;
  state(userId: string): string;
  readonly due: string;
}

export function presenceKeys(prefix: string): PresenceKeys {
  return {
    sessions: (userId) => `${prefix}presence:sessions:${userId}`,
    state: (userId) => `${prefix}presence:state:${userId}`,
    due: `${prefix}presence:due`,
  };
}
