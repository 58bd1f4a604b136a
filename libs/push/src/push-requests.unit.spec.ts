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

  // Each range with an address inside and one just outside it. Where the neighbour is outside global
  // unicast (2000::/3) it is not public either, for that reason: those cases say so.
  it.each([
    // IPv4-compatible ::/96 (deprecated): not judged by its IPv4 address, unlike IPv4-mapped.
    ['::8.8.8.8', false],
    ['::ffff:ffff', false],
    ['::ffff:8.8.8.8', true],
    ['::1:0:0', false], // just past ::/96: reserved, outside global unicast
    // Site-local fec0::/10 (deprecated); beside it link-local and multicast, not public either.
    ['fec0::1', false],
    ['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', false],
    // 6to4 2002::/16: refused, even for a public IPv4 address inside (8.8.8.8 here).
    ['2002:808:808::1', false],
    ['2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['2003::1', true],
    // Local-use NAT64 64:ff9b:1::/48; the well-known 64:ff9b::/96 beside it judges its IPv4 address.
    ['64:ff9b:1::808:808', false],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', false],
    ['64:ff9b::8.8.8.8', true],
    ['64:ff9b::10.0.0.1', false],
    ['64:ff9b:0:0:1::808:808', false], // past the /96: outside global unicast
    ['64:ff9b:2::808:808', false], // past the /48: outside global unicast
    // Discard-only 100::/64.
    ['100::1', false],
    ['100::ffff:ffff:ffff:ffff', false],
    ['100:0:0:1::1', false], // just past it: outside global unicast
    // Documentation 2001:db8::/32 (and 3fff::/20).
    ['2001:db8::1', false],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db9::1', true],
    ['3fff::1', false],
    ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['3fff:1000::1', true],
    // IETF protocol assignments 2001::/23, Teredo 2001::/32 among them.
    ['2001::1', false],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', false],
    ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['2001:200::1', true],
    // Global unicast 2000::/3 is where public addresses are; nothing outside it is.
    ['2000::1', true],
    ['3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['4000::1', false],
  ])('IPv6 special ranges: isPublicAddress(%s) is %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
    expect(publicAddressOrHost(`[${address}]`)).toBe(expected);
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
