// How many WebSocket connections one client address may hold open on one gateway node, and the
// answer to one more: `429` before the upgrade, so a refused connection costs no WebSocket, no
// session and no timer.
import type { Duplex } from 'node:stream';

/** The connections open on this node, by client address, against a cap. */
export class ConnectionsPerAddress {
  private readonly open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Takes a slot for `address`; false when it holds `max` already (nothing taken then). */
  tryOpen(address: string): boolean {
    const count = this.open.get(address) ?? 0;
    if (count >= this.max) return false;
    this.open.set(address, count + 1);
    return true;
  }

  /** Gives back a slot taken by tryOpen. */
  closed(address: string): void {
    const count = this.open.get(address) ?? 0;
    if (count <= 1) this.open.delete(address);
    else this.open.set(address, count - 1);
  }

  countOf(address: string): number {
    return this.open.get(address) ?? 0;
  }

  /** Addresses with a connection open (for a gauge). */
  get addresses(): number {
    return this.open.size;
  }
}

/**
 * Refuses an upgrade request with `429 TOO_MANY_CONNECTIONS` (the HTTP API's error shape) and closes
 * the socket. No `Retry-After`: a slot frees when one of the address's own connections ends, not at
 * a time the server knows.
 */
export function refuseTooManyConnections(socket: Duplex, max: number): void {
  const body = JSON.stringify({
    error: {
      code: 'TOO_MANY_CONNECTIONS',
      message: `this address has ${max} connections open to this server, as many as allowed`,
    },
  });
  socket.end(
    'HTTP/1.1 429 Too Many Requests\r\n' +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body,
  );
}
