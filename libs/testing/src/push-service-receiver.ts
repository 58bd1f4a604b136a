// A push service for tests, as a browser's would be (RFC 8030): an HTTP server on loopback that
// hands out subscriptions like a browser's PushSubscription (its own P-256 key pair and auth
// secret), checks each request's VAPID JWT (RFC 8292: ES256 signature by the `k` key, audience =
// the endpoint's origin, expiry within 24 hours) and decrypts its aes128gcm body (RFC 8291, RFC
// 8188) with the subscription's private key. Written with node:crypto alone, so it checks the
// sender's encryption independently of the library that did it.
import {
  createECDH,
  createHmac,
  createDecipheriv,
  createPublicKey,
  randomBytes,
  randomUUID,
  verify,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A browser's `PushSubscription.toJSON()`. */
export interface BrowserSubscriptionJson {
  readonly endpoint: string;
  readonly expirationTime: null;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

/** One notification the push service accepted, decrypted. */
export interface ReceivedPush {
  readonly subscription: string;
  readonly at: number;
  /** The decrypted body, parsed as JSON. */
  readonly payload: Record<string, unknown>;
  readonly headers: { readonly ttl?: string; readonly topic?: string; readonly urgency?: string };
  readonly claims: { readonly aud: string; readonly exp: number; readonly sub: string };
}

/** What the push service answers a request with (default 201). */
export interface PushAnswer {
  readonly status: number;
  readonly retryAfter?: string;
}

interface Held {
  readonly ecdh: ReturnType<typeof createECDH>;
  readonly auth: Buffer;
  readonly answers: PushAnswer[];
}

export interface PushRequestSeen {
  readonly subscription: string;
  readonly status: number;
  readonly at: number;
}

/** A request the push service refused as malformed: a test expects none. */
export interface PushProblem {
  readonly subscription: string;
  readonly problem: string;
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/** RFC 8291 §3.4 and RFC 8188 §2: the plaintext of an aes128gcm body for the user agent's keys. */
export function decryptAes128gcm(
  body: Buffer,
  uaPrivate: ReturnType<typeof createECDH>,
  authSecret: Buffer,
): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20] ?? 0;
  const asPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (idLength !== 65) throw new Error(`keyid is ${idLength} bytes, not an uncompressed P-256 point`);
  if (ciphertext.length > recordSize) throw new Error('more than one record (a push message has one)');
  const uaPublic = uaPrivate.getPublicKey();
  const ecdhSecret = uaPrivate.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = hmac(hmac(authSecret, ecdhSecret), Buffer.concat([keyInfo, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
    decipher.final(),
  ]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('the last record does not end with the delimiter 0x02');
  return padded.subarray(0, end);
}

/**
 * RFC 8292 §§2-3: `Authorization: vapid t=<JWT>, k=<key>`, the JWT signed (ES256) by `k`, which must
 * be `expectedKey`; `aud` the endpoint's origin; `exp` in the future and within 24 hours; `sub` a
 * mailto: or https: contact. Answers the claims, or throws saying what is wrong.
 */
export function checkVapid(
  header: string | undefined,
  origin: string,
  expectedKey: string | undefined,
  now: number,
): ReceivedPush['claims'] {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!match) throw new Error(`no VAPID Authorization header (${header ?? 'none'})`);
  const [, token = '', key = ''] = match;
  if (expectedKey && key !== expectedKey) throw new Error('k is not the installation’s VAPID public key');
  const [head = '', body = '', signature = ''] = token.split('.');
  const header0 = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string };
  if (header0.alg !== 'ES256') throw new Error(`JWT alg is ${header0.alg}, not ES256`);
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const signed = verify(
    'sha256',
    Buffer.from(`${head}.${body}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) throw new Error('the JWT signature does not verify with k');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as ReceivedPush['claims'];
  if (claims.aud !== origin) throw new Error(`aud is ${claims.aud}, not the endpoint's origin ${origin}`);
  const seconds = Math.floor(now / 1000);
  if (!(claims.exp > seconds)) throw new Error('the JWT has expired');
  if (claims.exp > seconds + 24 * 3600) throw new Error('exp is more than 24 hours ahead');
  if (!/^(mailto:|https:)/.test(claims.sub)) throw new Error(`sub ${claims.sub} is not mailto: or https:`);
  return claims;
}

/** A push service on 127.0.0.1 that a test starts, subscribes to, and reads what it received. */
export class PushServiceReceiver {
  readonly received: ReceivedPush[] = [];
  readonly problems: PushProblem[] = [];
  /** Every request, answered or not: subscription, status, and when (ms since the epoch). */
  readonly requests: PushRequestSeen[] = [];
  private readonly held = new Map<string, Held>();
  private server: Server | undefined;
  private origin = '';

  /** `vapidPublicKey`: the key every request must be signed with (checked when given). */
  constructor(private vapidPublicKey?: string) {}

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** The key requests must carry from now on (the installation's, once the gateway made it). */
  expectKey(vapidPublicKey: string): void {
    this.vapidPublicKey = vapidPublicKey;
  }

  /** A new subscription, as a browser's PushManager.subscribe() would give it. */
  subscribe(): BrowserSubscriptionJson {
    const id = randomUUID();
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.held.set(id, { ecdh, auth, answers: [] });
    return {
      endpoint: `${this.origin}/push/${id}`,
      expirationTime: null,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    };
  }

  /** The next requests to this subscription get these answers, in order (then 201 again). */
  answerWith(subscription: BrowserSubscriptionJson, answers: readonly PushAnswer[]): void {
    this.heldFor(subscription).answers.push(...answers);
  }

  /** What arrived for one subscription. */
  receivedBy(subscription: BrowserSubscriptionJson): ReceivedPush[] {
    const id = this.idOf(subscription);
    return this.received.filter((r) => r.subscription === id);
  }

  /** The requests to one subscription, answered or not. */
  requestsTo(subscription: BrowserSubscriptionJson): PushRequestSeen[] {
    const id = this.idOf(subscription);
    return this.requests.filter((r) => r.subscription === id);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private idOf(subscription: BrowserSubscriptionJson): string {
    return subscription.endpoint.slice(subscription.endpoint.lastIndexOf('/') + 1);
  }

  private heldFor(subscription: BrowserSubscriptionJson): Held {
    const held = this.held.get(this.idOf(subscription));
    if (!held) throw new Error(`not a subscription of this push service: ${subscription.endpoint}`);
    return held;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const id = (req.url ?? '').replace(/^\/push\//, '');
    const held = this.held.get(id);
    const reply = (status: number, retryAfter?: string) => {
      this.requests.push({ subscription: id, status, at: Date.now() });
      res.writeHead(status, retryAfter ? { 'Retry-After': retryAfter } : {}).end();
    };
    if (req.method !== 'POST' || !held) return reply(404);
    try {
      const claims = checkVapid(req.headers.authorization, this.origin, this.vapidPublicKey, Date.now());
      if (req.headers['content-encoding'] !== 'aes128gcm')
        throw new Error('Content-Encoding is not aes128gcm');
      if (req.headers.ttl === undefined) throw new Error('no TTL header (RFC 8030 §5.2 requires it)');
      const plaintext = decryptAes128gcm(Buffer.concat(chunks), held.ecdh, held.auth);
      const answer = held.answers.shift() ?? { status: 201 };
      if (answer.status === 201)
        this.received.push({
          subscription: id,
          at: Date.now(),
          payload: JSON.parse(plaintext.toString('utf8')) as Record<string, unknown>,
          headers: {
            ttl: req.headers.ttl as string,
            ...(typeof req.headers.topic === 'string' ? { topic: req.headers.topic } : {}),
            ...(typeof req.headers.urgency === 'string' ? { urgency: req.headers.urgency } : {}),
          },
          claims,
        });
      reply(answer.status, answer.retryAfter);
    } catch (error) {
      this.problems.push({
        subscription: id,
        problem: error instanceof Error ? error.message : String(error),
      });
      reply(400);
    }
  }
}
