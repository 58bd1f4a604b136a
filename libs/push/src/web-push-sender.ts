// One Web Push request (RFC 8030 §5): web-push encrypts the payload for the subscription (RFC 8291,
// aes128gcm) and signs the VAPID JWT (RFC 8292); this module sends it itself, so that it decides
// which addresses it connects to, follows no redirect, and reads the answer's Retry-After.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { generateRequestDetails } from 'web-push';
import { isLoopbackAddress, isPublicAddress, loopbackHost } from './endpoint-addresses';
import type { StoredPushSubscription } from './push-subscriptions';
import type { SendAttempt } from './send-outcome';
import type { VapidKeys } from './vapid-keys';

export interface PushMessage {
  /** The JSON payload, encrypted per subscription. */
  readonly payload: string;
  /** RFC 8030 §5.4: replaces an undelivered message with the same topic. */
  readonly topic: string;
  /** RFC 8030 §5.2: how long the push service keeps it for an unreachable device. */
  readonly ttlSeconds: number;
}

/** Sends one message to one subscription, once; what the answer means is `judgeAttempt`'s. */
export interface PushTransport {
  send(
    subscription: StoredPushSubscription,
    message: PushMessage,
    signal?: AbortSignal,
  ): Promise<SendAttempt>;
}

export interface WebPushSenderOptions {
  readonly keys: VapidKeys;
  /**
   * The whole request's deadline (PUSH_SEND_TIMEOUT_MS, 10 s by default): name lookup, connection,
   * the request, the answer's status and body. A push service whose exchange is not over by then
   * counts as no answer (retried), however steadily it trickles bytes: each attempt holds the
   * notifier's slot for its conversation at most this long.
   */
  readonly timeoutMs: number;
  /** Send to `http://` loopback endpoints and loopback addresses (PUSH_ALLOW_LOOPBACK_HTTP; tests). */
  readonly allowLoopbackHttp: boolean;
}

const addressAllowed = (address: string, allowLoopback: boolean) =>
  isPublicAddress(address) || (allowLoopback && isLoopbackAddress(address));

/**
 * A DNS lookup that answers only public addresses (and loopback ones when allowed): a push
 * endpoint whose name resolves into a private network is not connected to (SSRF).
 */
export function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options: LookupOptions, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((a) => addressAllowed(a.address, allowLoopback));
      const first = allowed[0];
      if (!first) {
        const refused = Object.assign(new Error(`${hostname} resolves to no public address`), {
          code: 'EADDRNOTPUBLIC',
        });
        return callback(refused, '', 0);
      }
      if (options.all) return callback(null, allowed);
      return callback(null, first.address, first.family);
    });
  };
}

/** Longest answer body read (push services answer a line of JSON at most). */
const ANSWER_BYTES_MAX = 8 * 1024;

export class WebPushSender implements PushTransport {
  private readonly lookup: LookupFunction;

  constructor(private readonly options: WebPushSenderOptions) {
    this.lookup = guardedLookup(options.allowLoopbackHttp);
  }

  async send(
    subscription: StoredPushSubscription,
    message: PushMessage,
    signal?: AbortSignal,
  ): Promise<SendAttempt> {
    const refused = this.refusal(subscription.endpoint);
    if (refused) return { kind: 'not-sent', reason: refused };
    const { keys } = this.options;
    let details: ReturnType<typeof generateRequestDetails>;
    try {
      details = generateRequestDetails(
        { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
        message.payload,
        {
          vapidDetails: { subject: keys.subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
          TTL: message.ttlSeconds,
          topic: message.topic,
          urgency: 'normal',
          contentEncoding: 'aes128gcm',
        },
      );
    } catch (error) {
      // Keys stored before they were checked as strictly as now, say: retrying cannot help.
      return {
        kind: 'not-sent',
        reason: `cannot encrypt for this subscription: ${(error as Error).message}`,
      };
    }
    const headers = Object.fromEntries(
      Object.entries(details.headers).map(([name, value]) => [name, String(value)]),
    );
    return this.post(subscription.endpoint, headers, details.body ?? Buffer.alloc(0), signal);
  }

  /** Why this endpoint is not sent to, before any connection (the lookup checks names later). */
  private refusal(endpoint: string): string | undefined {
    const url = new URL(endpoint);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (url.protocol === 'http:' && !(this.options.allowLoopbackHttp && loopbackHost(host)))
      return 'refused: http endpoint';
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'refused: not an http(s) endpoint';
    if (isIP(host) !== 0 && !addressAllowed(host, this.options.allowLoopbackHttp))
      return 'refused: not a public address';
    return undefined;
  }

  private post(
    endpoint: string,
    headers: Record<string, string>,
    body: Buffer,
    stop?: AbortSignal,
  ): Promise<SendAttempt> {
    const url = new URL(endpoint);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const { timeoutMs } = this.options;
    return new Promise<SendAttempt>((resolve) => {
      // One controller ends the request at the deadline or when the notifier stops. Not
      // AbortSignal.any over the notifier's long-lived stop signal: Node keeps every signal combined
      // with it until it aborts (nodejs/node#55351); here the listener goes when the attempt ends.
      const cut = new AbortController();
      let settled = false;
      const settle = (attempt: SendAttempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        stop?.removeEventListener('abort', onStop);
        resolve(attempt);
      };
      // Settled before the request is destroyed, so the answer's status (or the reset the abort
      // causes) cannot win: an exchange cut at its deadline is no answer, whatever came of it.
      const deadline = setTimeout(() => {
        settle({ kind: 'no-answer', reason: `no complete answer within ${timeoutMs} ms` });
        cut.abort();
      }, timeoutMs);
      const onStop = () => {
        settle({ kind: 'no-answer', reason: 'stopped' });
        cut.abort();
      };
      if (stop?.aborted) return onStop();
      stop?.addEventListener('abort', onStop, { once: true });
      const req = request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'Content-Length': String(body.length) },
          lookup: this.lookup,
          signal: cut.signal,
        },
        (res: IncomingMessage) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > ANSWER_BYTES_MAX) res.destroy();
          });
          const answer = (): SendAttempt => {
            const retryAfter = res.headers['retry-after'];
            return {
              kind: 'answered',
              status: res.statusCode ?? 0,
              ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
            };
          };
          res.on('end', () => settle(answer()));
          res.on('close', () => settle(answer()));
          res.on('error', () => settle(answer()));
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        // A name that resolves to no public address will not do better next time.
        settle({ kind: error.code === 'EADDRNOTPUBLIC' ? 'not-sent' : 'no-answer', reason: error.message }),
      );
      req.end(body);
    });
  }
}
