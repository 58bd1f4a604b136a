// The installation's VAPID key pair (RFC 8292): taken from the environment when it names one,
// otherwise generated once and kept in PostgreSQL, where every gateway node and notifier finds it.
import { createECDH, generateKeyPairSync } from 'node:crypto';
import type { Pool } from 'pg';

/** What a notifier signs with and what the web app subscribes with. */
export interface VapidKeys {
  /** The uncompressed P-256 public key, base64url (65 bytes): the browser's `applicationServerKey`. */
  readonly publicKey: string;
  /** The private scalar, base64url (32 bytes). */
  readonly privateKey: string;
  /** A `mailto:` or `https:` contact the push services may use (the JWT's `sub`). */
  readonly subject: string;
}

/** VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY (both or neither) and VAPID_SUBJECT. */
export interface VapidSettings {
  readonly publicKey?: string;
  readonly privateKey?: string;
  readonly subject: string;
}

export type VapidSource = 'environment' | 'generated' | 'kept';

/** A new P-256 key pair in the encoding web-push and browsers use. */
export function generateVapidKeyPair(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pub = publicKey.export({ format: 'jwk' });
  const priv = privateKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(pub.x as string, 'base64url'),
    Buffer.from(pub.y as string, 'base64url'),
  ]);
  return { publicKey: point.toString('base64url'), privateKey: priv.d as string };
}

/** Why the two keys are not one P-256 pair, or undefined when they are. */
export function vapidPairProblem(publicKey: string, privateKey: string): string | undefined {
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'));
    return ecdh.getPublicKey().toString('base64url') === publicKey
      ? undefined
      : 'VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY';
  } catch {
    return 'VAPID_PRIVATE_KEY is not a P-256 private key';
  }
}

/**
 * The keys to use: the environment's when set (checked to be one pair), otherwise the installation's
 * row, created by whichever service asks first. `INSERT … ON CONFLICT DO NOTHING` and then reading
 * the row makes two services starting at once agree on the same pair.
 */
export async function loadVapidKeys(
  pool: Pool,
  settings: VapidSettings,
): Promise<{ readonly keys: VapidKeys; readonly source: VapidSource }> {
  if (settings.publicKey && settings.privateKey) {
    const problem = vapidPairProblem(settings.publicKey, settings.privateKey);
    if (problem) throw new Error(problem);
    return {
      keys: { publicKey: settings.publicKey, privateKey: settings.privateKey, subject: settings.subject },
      source: 'environment',
    };
  }
  const fresh = generateVapidKeyPair();
  const inserted = await pool.query(
    `INSERT INTO push_vapid_keys (id, public_key, private_key) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`,
    [fresh.publicKey, fresh.privateKey],
  );
  const { rows } = await pool.query<{ public_key: string; private_key: string }>(
    'SELECT public_key, private_key FROM push_vapid_keys WHERE id = 1',
  );
  const row = rows[0];
  if (!row) throw new Error('the VAPID keys could not be stored in push_vapid_keys');
  return {
    keys: { publicKey: row.public_key, privateKey: row.private_key, subject: settings.subject },
    source: inserted.rowCount === 1 ? 'generated' : 'kept',
  };
}
