import { hash, verify } from '@node-rs/argon2';
import { ConcurrencyLimiter, type ConcurrencyLimit, type ConcurrencyLoad } from './concurrency-limiter';

/**
 * argon2id with the library's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommended minimum),
 * stored as a PHC string that carries its own salt and parameters, so they can be raised later
 * without invalidating stored hashes.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

// A real hash of a random password: checking against it costs what a real check costs.
let decoy: Promise<string> | undefined;

/**
 * Checks a password against a stored hash. With no stored hash (unknown user) it still does the
 * work of one check, so response times do not tell which usernames exist.
 */
export async function checkPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  if (storedHash === undefined) {
    decoy ??= hash(`decoy-${Math.random()}-${Date.now()}`);
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}

/**
 * Two at a time, 32 waiting. @node-rs/argon2 runs each hash on a thread of libuv's pool (4 threads
 * unless UV_THREADPOOL_SIZE says otherwise), which DNS lookups and file reads share; two leave room
 * for them, and 32 waiting is about a second of work at the ~70 ms a check takes.
 */
export const DEFAULT_PASSWORD_HASHING: ConcurrencyLimit = { concurrency: 2, queueLength: 32 };

/**
 * hashPassword and checkPassword through a per-node cap: a flood of logins waits in a bounded queue
 * and beyond it is refused with 503 UNAVAILABLE (an OverloadedError), instead of taking every thread
 * and all the memory (19 MiB a hash) the node's other work needs.
 */
export class PasswordHasher {
  private readonly limiter: ConcurrencyLimiter;

  constructor(limit: ConcurrencyLimit = DEFAULT_PASSWORD_HASHING) {
    this.limiter = new ConcurrencyLimiter(
      limit,
      (retryAfterMs) =>
        `too many passwords are being checked on this server; try again in ${Math.ceil(retryAfterMs / 1000)} s`,
    );
  }

  hash(password: string): Promise<string> {
    return this.limiter.run(() => hashPassword(password));
  }

  check(storedHash: string | undefined, password: string): Promise<boolean> {
    return this.limiter.run(() => checkPassword(storedHash, password));
  }

  get load(): ConcurrencyLoad {
    return this.limiter.load;
  }
}
