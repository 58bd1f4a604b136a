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

function isPublicV6(address: string): boolean {
  const bytes = v6Bytes(address);
  const [b0 = 0, b1 = 0] = bytes;
  if (bytes.every((b) => b === 0)) return false; // ::
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return false; // ::1
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::/96): judged by the IPv4 address inside.
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  const nat64 = b0 === 0x00 && b1 === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b;
  if (mapped || nat64) return isPublicAddress(bytes.slice(12).join('.'));
  if ((b0 & 0xfe) === 0xfc) return false; // fc00::/7 unique local
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return false; // fe80::/10 link-local
  if (b0 === 0xff) return false; // multicast
  if (b0 === 0x20 && b1 === 0x01 && bytes[2] === 0x0d && bytes[3] === 0xb8) return false; // documentation
  return true;
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
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped && bytes[12] === 127;
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
