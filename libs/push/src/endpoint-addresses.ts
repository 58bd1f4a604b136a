// Which hosts and addresses a push endpoint may name. The notifier POSTs to URLs its users chose, so
// it must not become a way to reach this installation's private network (SSRF): only public
// addresses, except loopback where a setting allows it (tests). Pure: address arithmetic only.
import { isIP } from 'node:net';

/** IPv4 ranges that are not the public internet (RFC 6890 and friends). */
const PRIVATE_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

const v4ToNumber = (address: string): number =>
  address.split('.').reduce((n, part) => n * 256 + Number(part), 0);

const inV4Range = (address: string, [base, bits]: readonly [string, number]): boolean => {
  const size = 2 ** (32 - bits);
  return Math.floor(v4ToNumber(address) / size) === Math.floor(v4ToNumber(base) / size);
};

/** The 16 bytes of an IPv6 address (`::` expanded, an embedded IPv4 tail converted). */
function v6Bytes(address: string): number[] {
  let text = address.toLowerCase();
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const n = v4ToNumber(v4Tail[1] as string);
    text = `${text.slice(0, -(v4Tail[1] as string).length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

/** An IPv6 prefix: its bytes and how many leading bits count. */
type V6Range = readonly [readonly number[], number];

const v6Range = (base: string, bits: number): V6Range => [v6Bytes(base), bits];

const inV6Range = (bytes: readonly number[], [prefix, bits]: V6Range): boolean =>
  prefix.every((byte, i) => {
    const mask = i * 8 >= bits ? 0 : 0xff & (0xff << Math.max(0, 8 - (bits - i * 8)));
    return ((bytes[i] ?? 0) & mask) === (byte & mask);
  });

/** IPv4-mapped addresses (RFC 4291 §2.5.5.2): an IPv4 address in IPv6 clothing. */
const V4_MAPPED = v6Range('::ffff:0:0', 96);
/** NAT64's well-known prefix (RFC 6052): what a DNS64 resolver answers for an IPv4-only host. */
const NAT64_WELL_KNOWN = v6Range('64:ff9b::', 96);

/**
 * Global unicast (RFC 4291 §2.4, IANA's IPv6 address space): the only part of IPv6 where a public
 * host can be. Everything outside it is not public, named or not: `::` and `::1`, IPv4-compatible
 * `::/96` (deprecated, RFC 4291 §2.5.5.1), local-use NAT64 `64:ff9b:1::/48` (RFC 8215), discard-only
 * `100::/64` (RFC 6666), unique-local `fc00::/7`, link-local `fe80::/10`, site-local `fec0::/10`
 * (deprecated, RFC 3879), multicast `ff00::/8`, and all the space IANA keeps in reserve (which a
 * private network may route internally). An allow-list: a reserved range is refused unnamed.
 */
const GLOBAL_UNICAST_V6 = v6Range('2000::', 3);

/** Ranges inside global unicast that are not the public internet (IANA's special-purpose registry). */
const SPECIAL_V6: readonly V6Range[] = [
  // IETF protocol assignments (RFC 2928), Teredo 2001::/32 among them. The few anycast and AMT
  // prefixes in it that IANA calls global are refused too: no push service lives there.
  v6Range('2001::', 23),
  v6Range('2001:db8::', 32), // documentation (RFC 3849)
  // 6to4 (RFC 3056, deprecated by RFC 7526): refused outright, not judged by the IPv4 address in
  // its bytes 2..5: a relay on the way hands it to whichever IPv4 host that names, and no push
  // service is reached over 6to4.
  v6Range('2002::', 16),
  v6Range('3fff::', 20), // documentation (RFC 9637)
];

function isPublicV6(address: string): boolean {
  const bytes = v6Bytes(address);
  // IPv4-mapped and NAT64 (64:ff9b::/96): judged by the IPv4 address inside.
  if (inV6Range(bytes, V4_MAPPED) || inV6Range(bytes, NAT64_WELL_KNOWN))
    return isPublicAddress(bytes.slice(12).join('.'));
  if (!inV6Range(bytes, GLOBAL_UNICAST_V6)) return false;
  return !SPECIAL_V6.some((range) => inV6Range(bytes, range));
}

/** Whether an IP address (v4 or v6, no brackets) is on the public internet. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !PRIVATE_V4.some((range) => inV4Range(address, range));
  if (family === 6) return isPublicV6(address);
  return false;
}

/** Whether an IP address is a loopback one (127.0.0.0/8, ::1, ::ffff:127.x). */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return inV4Range(address, ['127.0.0.0', 8]);
  if (family !== 6) return false;
  const bytes = v6Bytes(address);
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return true;
  return inV6Range(bytes, V4_MAPPED) && bytes[12] === 127;
}

/** A URL's hostname without the brackets of an IPv6 literal. */
const bare = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');

/** `localhost`, `*.localhost` or a loopback address (a URL's hostname). */
export function loopbackHost(hostname: string): boolean {
  const host = bare(hostname).toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || isLoopbackAddress(host);
}

/**
 * A URL's hostname that may be a push service: a public IP address, or a name with a dot that is not
 * `localhost` nor under `.localhost`, `.local`, `.internal` or `.home.arpa` (names that only resolve
 * inside a network). Where a name resolves is checked again when the notifier connects.
 */
export function publicAddressOrHost(hostname: string): boolean {
  const host = bare(hostname).toLowerCase().replace(/\.$/, '');
  if (isIP(host) !== 0) return isPublicAddress(host);
  if (!host.includes('.')) return false;
  return !/(^|\.)(localhost|local|internal|home\.arpa)$/.test(host);
}
