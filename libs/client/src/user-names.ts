// Who is who: messages and conversations name users by id only, so the client keeps the profiles it
// has learnt (`GET /v1/users/{userId}`, username lookups) for the app to show names with. Each id is
// looked up once per session, a few at a time; a failed lookup (not a 404) may be asked again later.
import { ParleyError } from './errors';
import type { UserProfile } from './protocol';
import { WritableStore, type ReadableStore } from './store';

/** The known users, by user id. */
export type UserDirectory = Readonly<Record<string, UserProfile>>;

/** What to call a user: their display name, else @username, else a short form of their id. */
export function displayNameOf(users: UserDirectory, userId: string): string {
  const profile = users[userId];
  if (!profile) return `User ${userId.slice(0, 8)}`;
  return profile.displayName ?? `@${profile.username}`;
}

/** The directory with `profile` in it (the same object when nothing changed). */
export function withUser(users: UserDirectory, profile: UserProfile): UserDirectory {
  const known = users[profile.userId];
  if (known && known.username === profile.username && known.displayName === profile.displayName) return users;
  return { ...users, [profile.userId]: profile };
}

/** Lookups at once at most: a group's member list must not fire a thousand calls together. */
const MAX_IN_FLIGHT = 4;

export class UserNames {
  private readonly store = new WritableStore<UserDirectory>({});
  /** Ids queued, in flight, or answered `404` (a deleted user stays unnamed until sign-out). */
  private readonly asked = new Set<string>();
  private readonly queue: string[] = [];
  private inFlight = 0;
  /** Bumped by `clear()`: answers to an earlier session's lookups are dropped. */
  private generation = 0;

  constructor(private readonly lookUp: (userId: string) => Promise<UserProfile>) {}

  get users(): ReadableStore<UserDirectory> {
    return this.store;
  }

  remember(profile: UserProfile): void {
    this.store.update((users) => withUser(users, profile));
  }

  /** Looks up the ids not known yet (in the background; `users` changes as answers come). */
  need(userIds: Iterable<string>): void {
    const known = this.store.getSnapshot();
    for (const userId of userIds) {
      if (known[userId] || this.asked.has(userId)) continue;
      this.asked.add(userId);
      this.queue.push(userId);
    }
    this.pump();
  }

  /** Forgets everything (sign-out: the next user may not see who the last one knew). */
  clear(): void {
    this.generation += 1;
    this.asked.clear();
    this.queue.length = 0;
    this.inFlight = 0;
    this.store.set({});
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const userId = this.queue.shift()!;
      const generation = this.generation;
      this.inFlight += 1;
      this.lookUp(userId).then(
        (profile) => {
          if (generation !== this.generation) return;
          this.remember(profile);
          this.done();
        },
        (error: unknown) => {
          if (generation !== this.generation) return;
          // Not found is an answer; anything else (offline, 503) may be asked again later.
          if (!(error instanceof ParleyError && error.code === 'NOT_FOUND')) this.asked.delete(userId);
          this.done();
        },
      );
    }
  }

  private done(): void {
    this.inFlight -= 1;
    this.pump();
  }
}
