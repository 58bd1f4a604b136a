import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Long enough for HS256 (32 random bytes); the services refuse anything under 32 characters. */
const SECRET_BYTES = 32;

export interface InstallationSecret {
  readonly secret: string;
  /** The file that holds it. */
  readonly path: string;
  /** True when this call generated it (first start of this installation). */
  readonly created: boolean;
  /** True when the file or its directory could be read by others and were closed to them now. */
  readonly tightened: boolean;
}

/**
 * The token signing secret of this installation, kept in `<dir>/jwt-secret`: generated at random on
 * first use (file mode 0600, the directory closed to group and others), read back on every later
 * start, so tokens stay valid across restarts. Two starts racing each other agree on one secret
 * (the file appears atomically, with its content, or not at all).
 */
export function installationSecret(dir: string, name = 'jwt-secret'): InstallationSecret {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let tightened = closeToOthers(dir, 0o700);
  const path = join(dir, name);
  let created = false;
  if (!exists(path)) {
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temporary, `${randomBytes(SECRET_BYTES).toString('base64url')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    try {
      linkSync(temporary, path);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another start created it first: use theirs.
    } finally {
      unlinkSync(temporary);
    }
  }
  tightened = closeToOthers(path, 0o600) || tightened;
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < SECRET_BYTES)
    throw new Error(
      `${path} does not hold a usable token secret (${secret.length} characters, at least ${SECRET_BYTES} needed). ` +
        'Delete it to have a new one generated (tokens issued so far stop working), or set JWT_SECRET.',
    );
  return { secret, path, created, tightened };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Removes every permission of group and others; true when there were some. */
function closeToOthers(path: string, mode: number): boolean {
  if ((statSync(path).mode & 0o077) === 0) return false;
  chmodSync(path, mode);
  return true;
}
