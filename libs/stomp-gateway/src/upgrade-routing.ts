// Which requests with an `Upgrade` header the WebSocket endpoint takes, and how the others go back to
// the HTTP API. Node sends every request carrying `Upgrade` to the server's 'upgrade' listeners once
// one exists, so without this an HTTP/2 offer (`Upgrade: h2c`, which Java's HttpClient and
// `curl --http2` send over http://) would never reach the HTTP API.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** The parts of a request line and its headers that the HTTP parser saw (an IncomingMessage has them). */
export interface RequestHead {
  /** Always set on a request a server received; optional only as IncomingMessage types them. */
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly httpVersion: string;
  /** Names and values in turn, as received (IncomingMessage.rawHeaders). */
  readonly rawHeaders: readonly string[];
}

/** True for a WebSocket upgrade (`Upgrade: websocket`) to `path` (query ignored, as ws does). */
export function isWebSocketUpgrade(head: Pick<RequestHead, 'url' | 'rawHeaders'>, path: string): boolean {
  const upgrade = headerValues(head.rawHeaders, 'upgrade');
  if (upgrade.length !== 1 || upgrade[0]!.trim().toLowerCase() !== 'websocket') return false;
  const url = head.url ?? '';
  const query = url.indexOf('?');
  return (query === -1 ? url : url.slice(0, query)) === path;
}

/**
 * The request head again, without the upgrade offer: no `Upgrade` or `HTTP2-Settings` header, and
 * `Connection` without those two tokens (dropped when nothing else is left). RFC 9110 §7.8 lets a
 * server ignore an offer it does not take; the request is then an ordinary one.
 */
export function headWithoutUpgrade(head: RequestHead): string {
  const lines = [`${head.method ?? 'GET'} ${head.url ?? '/'} HTTP/${head.httpVersion}`];
  for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
    const name = head.rawHeaders[i]!;
    const value = head.rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'upgrade' || lower === 'http2-settings') continue;
    if (lower === 'connection') {
      const kept = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && !DROPPED_CONNECTION_TOKENS.has(token.toLowerCase()));
      if (kept.length > 0) lines.push(`${name}: ${kept.join(', ')}`);
      continue;
    }
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const DROPPED_CONNECTION_TOKENS = new Set(['upgrade', 'http2-settings']);

/**
 * Lets `server` answer an upgrade request it was handed as a plain HTTP/1.1 request: the socket goes
 * back to the server as a new connection (Node documents emitting 'connection' for exactly this),
 * with the request head (upgrade offer removed) and the bytes already read after it put back in
 * front. The server's own parser then reads the body, keeps the connection alive and serves the
 * requests that follow on it, as for any other connection.
 */
export function answerAsHttp(server: Server, request: IncomingMessage, socket: Duplex, rest: Buffer): void {
  socket.unshift(Buffer.concat([Buffer.from(headWithoutUpgrade(request), 'latin1'), rest]));
  server.emit('connection', socket);
}

function headerValues(rawHeaders: readonly string[], lowerName: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === lowerName) values.push(rawHeaders[i + 1]!);
  }
  return values;
}
