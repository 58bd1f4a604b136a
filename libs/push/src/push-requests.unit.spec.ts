import { createECDH, randomBytes } from 'node:crypto';
import { DomainError } from '@parley/domain';
import {
  isLoopbackAddress,
  isPublicAddress,
  parsePushSettings,
  parsePushSubscription,
  publicAddressOrHost,
} from '@parley/push';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : 'NOT_A_DOMAIN_ERROR';
  }
};

const p256dh = () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return ecdh.getPublicKey().toString('base64url');
};

const subscription = (overrides: Record<string, unknown> = {}, keys: Record<string, unknown> = {}) => ({
  endpoint: 'https://fcm.googleapis.com/fcm/send/abc:def',
  expirationTime: null,
  keys: { p256dh: p256dh(), auth: randomBytes(16).toString('base64url'), ...keys },
  ...overrides,
});

const strict = { allowLoopbackHttp: false };
const tests = { allowLoopbackHttp: true };

describe('push subscription validation (pure)', () => {
  it('given a browser PushSubscription, then it is taken with its keys and expiration', () => {
    const body = subscription({ expirationTime: 1_800_000_000_000 });
    expect(parsePushSubscription(body, strict)).toEqual({
      endpoint: body.endpoint,
      p256dh: body.keys.p256dh,
      auth: body.keys.auth,
      expirationTime: 1_800_000_000_000,
    });
  });

  it('given padded base64url keys, then they are stored without padding', () => {
    const raw = randomBytes(16);
    const parsed = parsePushSubscription(
      subscription({}, { auth: `${raw.toString('base64url')}==` }),
      strict,
    );
    expect(parsed.auth).toBe(raw.toString('base64url'));
  });

  it.each([
    ['http to a public host', 'http://push.example.com/x'],
    ['http to loopback when the setting is off', 'http://127.0.0.1:9999/x'],
    ['another scheme', 'ftp://push.example.com/x'],
    ['credentials in the URL', 'https://user:pw@push.example.com/x'],
    ['a fragment', 'https://push.example.com/x#y'],
    ['a private address', 'https://10.1.2.3/x'],
    ['the cloud metadata address', 'https://169.254.169.254/latest'],
    ['loopback over https', 'https://127.0.0.1/x'],
    ['an IPv6 loopback', 'https://[::1]/x'],
    ['an IPv4-mapped private address', 'https://[::ffff:192.168.1.1]/x'],
    ['a hex spelling of loopback', 'https://0x7f.0.0.1/x'],
    ['localhost', 'https://localhost/x'],
    ['a single-label name', 'https://intranet/x'],
    ['a .internal name', 'https://push.corp.internal/x'],
    ['not a URL', 'push service'],
    ['too long', `https://push.example.com/${'a'.repeat(2_100)}`],
    ['not a string', 42],
  ])('given an endpoint with %s, then INVALID_PUSH_ENDPOINT', (_what, endpoint) => {
    expect(codeOf(() => parsePushSubscription(subscription({ endpoint }), strict))).toBe(
      'INVALID_PUSH_ENDPOINT',
    );
  });

  it('given http to loopback and the setting on (tests), then it is accepted; to anything else, not', () => {
    expect(
      parsePushSubscription(subscription({ endpoint: 'http://127.0.0.1:9999/p/1' }), tests).endpoint,
    ).toBe('http://127.0.0.1:9999/p/1');
    expect(parsePushSubscription(subscription({ endpoint: 'http://[::1]:9999/p/1' }), tests).endpoint).toBe(
      'http://[::1]:9999/p/1',
    );
    expect(codeOf(() => parsePushSubscription(subscription({ endpoint: 'http://10.0.0.1/p' }), tests))).toBe(
      'INVALID_PUSH_ENDPOINT',
    );
  });

  it.each([
    ['keys missing', { keys: undefined }, {}],
    ['keys not an object', { keys: 'k' }, {}],
    ['p256dh not base64url', {}, { p256dh: 'not base64!' }],
    ['p256dh of 64 bytes', {}, { p256dh: randomBytes(64).toString('base64url') }],
    [
      'p256dh compressed (0x02 first)',
      {},
      { p256dh: Buffer.concat([Buffer.from([2]), randomBytes(64)]).toString('base64url') },
    ],
    [
      'p256dh of 65 bytes that are no point of P-256',
      {},
      { p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url') },
    ],
    ['auth of 15 bytes', {}, { auth: randomBytes(15).toString('base64url') }],
    ['auth missing', {}, { auth: undefined }],
  ])('given %s, then INVALID_PUSH_KEYS', (_what, overrides, keys) => {
    // Through JSON, as a request body arrives: an undefined field is no field.
    const body = JSON.parse(JSON.stringify(subscription(overrides, keys))) as Record<string, unknown>;
    expect(codeOf(() => parsePushSubscription(body, strict))).toBe('INVALID_PUSH_KEYS');
  });

  it.each([
    ['a negative expirationTime', { expirationTime: -1 }],
    ['a text expirationTime', { expirationTime: 'tomorrow' }],
    ['an expirationTime past what a date holds', { expirationTime: Number.MAX_SAFE_INTEGER }],
  ])('given %s, then INVALID_PUSH_SUBSCRIPTION', (_what, overrides) => {
    expect(codeOf(() => parsePushSubscription(subscription(overrides), strict))).toBe(
      'INVALID_PUSH_SUBSCRIPTION',
    );
  });

  it('given fields Parley does not know, then they are ignored, as everywhere in the API', () => {
    const body = subscription({ topic: 'x' }, { extra: 'y' });
    expect(parsePushSubscription(body, strict)).toEqual({
      endpoint: body.endpoint,
      p256dh: body.keys.p256dh,
      auth: body.keys.auth,
      expirationTime: null,
    });
  });

  it('given settings, then previews must be true or false', () => {
    expect(parsePushSettings({ previews: false })).toEqual({ previews: false });
    expect(parsePushSettings({ previews: true, sound: true })).toEqual({ previews: true });
    expect(codeOf(() => parsePushSettings({ previews: 'no' }))).toBe('INVALID_PUSH_SETTINGS');
    expect(codeOf(() => parsePushSettings({}))).toBe('INVALID_PUSH_SETTINGS');
  });
});

describe('endpoint addresses (pure)', () => {
  it.each([
    ['8.8.8.8', true],
    ['142.250.74.106', true],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['172.32.0.1', true],
    ['192.168.0.10', false],
    ['100.64.0.1', false],
    ['127.0.0.1', false],
    ['169.254.169.254', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['2a00:1450:4001:82a::200a', true],
    ['::1', false],
    ['::', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['ff02::1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['64:ff9b::a00:1', false],
    ['2001:db8::1', false],
    ['not an address', false],
  ])('isPublicAddress(%s) is %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('knows loopback addresses and public host names', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(isLoopbackAddress('10.0.0.1')).toBe(false);
    expect(publicAddressOrHost('updates.push.services.mozilla.com')).toBe(true);
    expect(publicAddressOrHost('web.push.apple.com.')).toBe(true);
    expect(publicAddressOrHost('printer.local')).toBe(false);
    expect(publicAddressOrHost('a.localhost')).toBe(false);
    expect(publicAddressOrHost('router.home.arpa')).toBe(false);
  });
});
