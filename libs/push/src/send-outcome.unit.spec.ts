import { createECDH } from 'node:crypto';
import { generateVapidKeyPair, judgeAttempt, retryAfterMs, vapidPairProblem } from '@parley/push';

const policy = { maxAttempts: 4, initialMs: 1_000, maxMs: 30_000 };
const now = Date.parse('2026-01-01T12:00:00Z');
/** The jitter at its highest: the whole backoff. */
const top = () => 0.999_999;
const answered = (status: number, retryAfter?: string) =>
  ({ kind: 'answered', status, ...(retryAfter ? { retryAfter } : {}) }) as const;

describe('what a push service answer means (pure)', () => {
  it.each([200, 201, 202])('given %i, then sent', (status) => {
    expect(judgeAttempt(answered(status), 1, policy, now)).toEqual({ kind: 'sent' });
  });

  it.each([404, 410])('given %i, then the subscription is gone', (status) => {
    expect(judgeAttempt(answered(status), 1, policy, now)).toEqual({ kind: 'gone', status });
  });

  it.each([400, 401, 403, 413])('given %i, then given up at once (it would fail again)', (status) => {
    expect(judgeAttempt(answered(status), 1, policy, now)).toMatchObject({
      kind: 'failed',
      cause: 'rejected',
    });
  });

  it('given 429, 500, 503 or no answer, then retried with a backoff that doubles (half of it random)', () => {
    expect(judgeAttempt(answered(429), 1, policy, now, top)).toEqual({ kind: 'retry', delayMs: 1_000 });
    expect(judgeAttempt(answered(500), 2, policy, now, top)).toEqual({ kind: 'retry', delayMs: 2_000 });
    expect(judgeAttempt(answered(503), 3, policy, now, () => 0)).toEqual({ kind: 'retry', delayMs: 2_000 });
    expect(judgeAttempt({ kind: 'no-answer', reason: 'ECONNRESET' }, 1, policy, now, top)).toEqual({
      kind: 'retry',
      delayMs: 1_000,
    });
  });

  it('given a Retry-After in seconds or as a date, then the wait is at least that', () => {
    expect(judgeAttempt(answered(429, '7'), 1, policy, now, top)).toEqual({ kind: 'retry', delayMs: 7_000 });
    const inTwelve = new Date(now + 12_000).toUTCString();
    expect(judgeAttempt(answered(503, inTwelve), 1, policy, now, top)).toEqual({
      kind: 'retry',
      delayMs: 12_000,
    });
    expect(judgeAttempt(answered(429, 'soon'), 1, policy, now, top)).toEqual({
      kind: 'retry',
      delayMs: 1_000,
    });
  });

  it('given a message that could not be sent at all (an endpoint refused here, keys it cannot encrypt for), then given up at once', () => {
    expect(judgeAttempt({ kind: 'not-sent', reason: 'refused: http endpoint' }, 1, policy, now)).toEqual({
      kind: 'failed',
      cause: 'rejected',
      reason: 'refused: http endpoint',
    });
  });

  it('given a Retry-After longer than the longest wait, then given up instead of waiting', () => {
    expect(judgeAttempt(answered(429, '3600'), 1, policy, now)).toMatchObject({
      kind: 'failed',
      cause: 'exhausted',
    });
  });

  it('given the last attempt failing, then given up: retries are bounded', () => {
    expect(judgeAttempt(answered(500), 4, policy, now)).toEqual({
      kind: 'failed',
      cause: 'exhausted',
      reason: 'status 500 after 4 attempts',
    });
  });

  it('reads Retry-After as delta-seconds or an HTTP date', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(new Date(now - 5_000).toUTCString(), now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('VAPID key pairs', () => {
  it('given a generated pair, then 65 and 32 bytes, and one pair', () => {
    const pair = generateVapidKeyPair();
    expect(Buffer.from(pair.publicKey, 'base64url')).toHaveLength(65);
    expect(Buffer.from(pair.privateKey, 'base64url')).toHaveLength(32);
    expect(vapidPairProblem(pair.publicKey, pair.privateKey)).toBeUndefined();
  });

  it('given a public key of another pair, then the mismatch is named', () => {
    const other = createECDH('prime256v1');
    other.generateKeys();
    expect(
      vapidPairProblem(other.getPublicKey().toString('base64url'), generateVapidKeyPair().privateKey),
    ).toBe('VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY');
  });
});
