import { hash, verify } from '@node-rs/argon2';

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
