/**
 * The key under which a client's address is rate-limited. IPv4 addresses (also when written
 * IPv4-mapped, `::ffff:203.0.113.7`) count one by one. IPv6 addresses count by their /64 network: a
 * subscriber is usually given a whole /64 and could otherwise take a fresh address per request.
 * Anything unreadable counts as itself (lower-cased, at most 64 characters: it may come from a
 * header), and a missing address (a closed socket) as `unknown`.
 */
export function clientAddressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const plain = address.toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(plain);
  if (mapped?.[1]) return mapped[1];
  const groups = plain.includes(':') ? ipv6Groups(plain) : undefined;
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : plain.slice(0, 64);
}

/** The eight groups of an IPv6 address without leading zeros, or undefined if it is not one. */
function ipv6Groups(address: string): string[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const split = (part: string | undefined) => (part ? part.split(':') : []);
  const head = split(halves[0]);
  const tail = split(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined;
  return groups.map((group) => parseInt(group, 16).toString(16));
}
