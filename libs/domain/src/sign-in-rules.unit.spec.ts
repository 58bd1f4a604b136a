import { clientAddressKey, takeTokenFromEach, type TokenBucketState } from '@parley/domain';

describe('takeTokenFromEach', () => {
  const perAddress = { capacity: 3, refillPerSecond: 1 };
  const perUsername = { capacity: 2, refillPerSecond: 0.5 };

  it('given fresh buckets, when a request passes both, then each loses one token', () => {
    const result = takeTokenFromEach(
      [
        { state: undefined, limit: perAddress },
        { state: undefined, limit: perUsername },
      ],
      1_000,
    );
    expect(result).toEqual({
      allowed: true,
      states: [
        { tokens: 2, updatedAtMs: 1_000 },
        { tokens: 1, updatedAtMs: 1_000 },
      ],
    });
  });

  it('given an empty username bucket, when a request comes, then it is refused and the address keeps its token', () => {
    const address: TokenBucketState = { tokens: 2, updatedAtMs: 1_000 };
    const username: TokenBucketState = { tokens: 0, updatedAtMs: 1_000 };
    const result = takeTokenFromEach(
      [
        { state: address, limit: perAddress },
        { state: username, limit: perUsername },
      ],
      1_000,
    );
    expect(result).toEqual({
      allowed: false,
      refusedBy: 1,
      retryAfterMs: 2_000,
      states: [
        { tokens: 2, updatedAtMs: 1_000 },
        { tokens: 0, updatedAtMs: 1_000 },
      ],
    });
  });

  it('given two empty buckets, when a request comes, then it waits for the one that refills last', () => {
    const empty: TokenBucketState = { tokens: 0, updatedAtMs: 0 };
    const result = takeTokenFromEach(
      [
        { state: empty, limit: perAddress },
        { state: empty, limit: perUsername },
      ],
      0,
    );
    expect(result).toMatchObject({ allowed: false, refusedBy: 1, retryAfterMs: 2_000 });
  });

  it('given a refused request, when the wait is over, then the next one passes', () => {
    const username: TokenBucketState = { tokens: 0, updatedAtMs: 0 };
    const refused = takeTokenFromEach([{ state: username, limit: perUsername }], 0);
    expect(refused.allowed).toBe(false);
    const waitMs = refused.allowed ? 0 : refused.retryAfterMs;
    expect(takeTokenFromEach([{ state: refused.states[0], limit: perUsername }], waitMs - 1).allowed).toBe(
      false,
    );
    expect(takeTokenFromEach([{ state: refused.states[0], limit: perUsername }], waitMs).allowed).toBe(true);
  });
});

describe('clientAddressKey', () => {
  it('given IPv4 addresses, plain or IPv4-mapped, then each counts as itself', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });

  it('given IPv6 addresses of one /64, then they count as one network', () => {
    const key = '2001:db8:0:1::/64';
    expect(clientAddressKey('2001:db8:0:1::1')).toBe(key);
    expect(clientAddressKey('2001:0DB8:0000:0001:ffff:ffff:ffff:fffe')).toBe(key);
    expect(clientAddressKey('2001:db8::1:0:0:0:5')).toBe(key);
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey('2001:db8:0:2::1')).not.toBe(key);
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('given no address or an unreadable one, then it still gives a bounded key', () => {
    expect(clientAddressKey(undefined)).toBe('unknown');
    expect(clientAddressKey('')).toBe('unknown');
    expect(clientAddressKey('1:2:3')).toBe('1:2:3');
    expect(clientAddressKey('1::2::3')).toBe('1::2::3');
    expect(clientAddressKey('x'.repeat(10_000))).toHaveLength(64);
  });
});
