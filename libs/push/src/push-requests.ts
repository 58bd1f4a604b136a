// The push routes' input (a browser's PushSubscription, the settings) parsed into typed values once,
// at the edge; a refusal is a DomainError the gateway maps to 400. Pure: no I/O.
import { ECDH } from 'node:crypto';
import { invalid } from '@parley/domain';
import { loopbackHost, publicAddressOrHost } from './endpoint-addresses';

type Body = Readonly<Record<string, unknown>>;

/** Longest endpoint accepted (the push services' own are 150-400 characters). */
export const ENDPOINT_MAX = 2_048;
/** An uncompressed P-256 point (RFC 8291 §3.1): 0x04, then x and y of 32 bytes each. */
const P256DH_BYTES = 65;
/** The authentication secret (RFC 8291 §3.2). */
const AUTH_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
/** The latest time a JavaScript Date (and so PostgreSQL through it) holds. */
const LATEST_TIME_MS = 8_640_000_000_000_000;

/** A validated PushSubscription (`PushSubscription.toJSON()` of the browser). */
export interface PushSubscriptionInput {
  readonly endpoint: string;
  readonly p256dh: string;
  readonly auth: string;
  /** When the push service ends the subscription (ms since the epoch), if it says. */
  readonly expirationTime: number | null;
}

/** What endpoints are accepted besides public https ones. */
export interface EndpointPolicy {
  /** `http://` to a loopback address (127.0.0.0/8, ::1, localhost): a push service a test started. */
  readonly allowLoopbackHttp: boolean;
}

export interface PushSettings {
  /** Whether notifications show the message's text (otherwise only who wrote and how many). */
  readonly previews: boolean;
}

export const DEFAULT_PUSH_SETTINGS: PushSettings = { previews: true };

/** Whether the bytes are a point of P-256 (the notifier could not encrypt for one that is not). */
function onCurve(point: Buffer): boolean {
  try {
    ECDH.convertKey(point, 'prime256v1');
    return true;
  } catch {
    return false;
  }
}

/** A base64url key of exactly `bytes` bytes (padding tolerated), returned without padding. */
function parseKey(value: unknown, name: string, bytes: number): Buffer {
  if (typeof value !== 'string' || !BASE64URL.test(value))
    throw invalid('INVALID_PUSH_KEYS', `keys.${name} must be a base64url string`);
  const decoded = Buffer.from(value.replace(/=+$/, ''), 'base64url');
  if (decoded.length !== bytes)
    throw invalid('INVALID_PUSH_KEYS', `keys.${name} must be ${bytes} bytes (got ${decoded.length})`);
  return decoded;
}

/**
 * The endpoint a notification is POSTed to: https to a public host (a name with a dot, or a public
 * address), without credentials or fragment; `http://` only to loopback and only when the policy
 * allows it (tests). The notifier checks the address it connects to again (a name can resolve to a
 * private address): see `guardedLookup`.
 */
export function parseEndpoint(value: unknown, policy: EndpointPolicy): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalid('INVALID_PUSH_ENDPOINT', 'endpoint must be the push service URL of the subscription');
  if (value.length > ENDPOINT_MAX)
    throw invalid('INVALID_PUSH_ENDPOINT', `endpoint must be at most ${ENDPOINT_MAX} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('INVALID_PUSH_ENDPOINT', 'endpoint must be an absolute URL');
  }
  if (url.username || url.password)
    throw invalid('INVALID_PUSH_ENDPOINT', 'endpoint must not carry credentials');
  if (url.hash) throw invalid('INVALID_PUSH_ENDPOINT', 'endpoint must not have a fragment');
  if (url.protocol === 'http:') {
    if (policy.allowLoopbackHttp && loopbackHost(url.hostname)) return url.toString();
    throw invalid('INVALID_PUSH_ENDPOINT', 'endpoint must be an https URL');
  }
  if (url.protocol !== 'https:') throw invalid('INVALID_PUSH_ENDPOINT', 'endpoint must be an https URL');
  if (!publicAddressOrHost(url.hostname))
    throw invalid('INVALID_PUSH_ENDPOINT', 'endpoint must name a public host of a push service');
  return url.toString();
}

/**
 * `{endpoint, expirationTime?, keys: {p256dh, auth}}`, as `PushSubscription.toJSON()` gives it. Each
 * field is checked strictly; fields Parley does not know are ignored, as everywhere in the API (a
 * browser that adds one to its JSON keeps working).
 */
export function parsePushSubscription(body: Body, policy: EndpointPolicy): PushSubscriptionInput {
  const endpoint = parseEndpoint(body.endpoint, policy);
  const { keys, expirationTime } = body;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys))
    throw invalid('INVALID_PUSH_KEYS', 'keys must be an object with p256dh and auth');
  const keyObject = keys as Body;
  const p256dh = parseKey(keyObject.p256dh, 'p256dh', P256DH_BYTES);
  if (p256dh[0] !== 0x04 || !onCurve(p256dh))
    throw invalid('INVALID_PUSH_KEYS', 'keys.p256dh must be an uncompressed point of P-256 (0x04 first)');
  const auth = parseKey(keyObject.auth, 'auth', AUTH_BYTES);
  if (
    expirationTime !== undefined &&
    expirationTime !== null &&
    (typeof expirationTime !== 'number' ||
      !Number.isSafeInteger(expirationTime) ||
      expirationTime < 0 ||
      expirationTime > LATEST_TIME_MS)
  )
    throw invalid('INVALID_PUSH_SUBSCRIPTION', 'expirationTime must be null or milliseconds since the epoch');
  return {
    endpoint,
    p256dh: p256dh.toString('base64url'),
    auth: auth.toString('base64url'),
    expirationTime: typeof expirationTime === 'number' ? expirationTime : null,
  };
}

/** `{previews: boolean}` (PUT replaces the settings: every field is required). */
export function parsePushSettings(body: Body): PushSettings {
  if (typeof body.previews !== 'boolean')
    throw invalid('INVALID_PUSH_SETTINGS', 'previews must be true or false');
  return { previews: body.previews };
}
