import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '@parley/logging';
import { ConnectionsPerAddress, refuseTooManyConnections } from './connection-limit';
import { SessionRegistry } from './session-registry';
import { StompSession, type StompSessionDeps, type Transport } from './stomp-session';
import { answerAsHttp, isWebSocketUpgrade } from './upgrade-routing';

export const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp'] as const;

const STOMP_PATH = '/ws';

/** WebSocket connections one client address may hold open on a node, unless told otherwise. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1_000;

/**
 * How long a closed socket's peer has to answer the close frame before the socket is cut: a peer
 * that stopped reading (SLOW_CONSUMER) would otherwise hold its buffer for ws's 30 s.
 */
const CLOSE_GRACE_MS = 5_000;

/** Corked bytes that go to the kernel at once rather than at the end of the turn (a replay page). */
const CORK_FLUSH_BYTES = 64 * 1024;

export type StompEndpointDeps = Omit<StompSessionDeps, 'transport' | 'onOpen' | 'onClose'> & {
  readonly logger?: Logger;
  readonly registry?: SessionRegistry;
  /**
   * The client's address, as the HTTP API sees it (behind trusted proxies, what they forwarded); the
   * cap on connections counts by it. Default: the socket's peer address.
   */
  readonly clientAddress?: (request: IncomingMessage) => string;
  /** WebSocket connections one address may hold open on this node; one more gets `429`. */
  readonly maxConnectionsPerAddress?: number;
  /** Told of every session that connected and ended (presence). */
  readonly lifecycle?: {
    opened(session: StompSession): void;
    closed(session: StompSession): void;
  };
};

export interface StompEndpoint {
  readonly wss: WebSocketServer;
  readonly registry: SessionRegistry;
  readonly connections: ConnectionsPerAddress;
}

/**
 * `GET /ws`: STOMP over WebSocket with the `v12.stomp` (or `v11.stomp`) sub-protocol. Each connection
 * gets a StompSession; the socket only carries bytes. Only a WebSocket upgrade to `/ws` reaches it:
 * any other request with an `Upgrade` header (an HTTP/2 offer, a WebSocket upgrade elsewhere) is
 * answered by the server's HTTP handler as a plain HTTP/1.1 request, the offer not taken up.
 */
export function attachStompEndpoint(server: Server, deps: StompEndpointDeps): StompEndpoint {
  const registry = deps.registry ?? new SessionRegistry();
  const wss = new WebSocketServer({
    noServer: true,
    // The STOMP parser enforces the frame limit with an ERROR frame; this only bounds memory.
    maxPayload: Math.max(1024 * 1024, deps.maxFrameBytes * 4),
    handleProtocols: (offered) => STOMP_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  const connections = new ConnectionsPerAddress(
    deps.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  );
  const addressOf = deps.clientAddress ?? ((request) => request.socket.remoteAddress ?? 'unknown');
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!isWebSocketUpgrade(request, STOMP_PATH)) return answerAsHttp(server, request, socket, head);
    const address = addressOf(request);
    if (!connections.tryOpen(address)) {
      deps.logger?.debug({ address }, 'WebSocket upgrade refused: too many connections from the address');
      return refuseTooManyConnections(socket, connections.max);
    }
    releaseOnClose(socket, connections, address);
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  // What every session shares, made once: a session's deps are an object with one field of its own
  // (its transport) on this prototype, not a copy of thirty fields per connection; the socket's
  // listeners are shared functions too. Idle sessions are most of a node's memory (docs/decisions.md).
  const shared: Omit<StompSessionDeps, 'transport'> = {
    ...deps,
    onOpen: (s) => {
      registry.add(s);
      deps.lifecycle?.opened(s);
    },
    onClose: (s) => {
      registry.remove(s);
      deps.lifecycle?.closed(s);
    },
  };
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const sessionDeps = Object.create(shared) as StompSessionDeps & { transport: Transport };
    sessionDeps.transport = new WebSocketTransport(socket, request.socket);
    const session = new StompSession(sessionDeps);
    (socket as SessionSocket)[SESSION] = session;
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.on('error', onError);
  });
  function onError(this: WebSocket, error: Error) {
    deps.logger?.warn({ err: error, session: sessionOf(this).id }, 'websocket error');
  }
  return { wss, registry, connections };
}

/**
 * The slot is the TCP connection's: given back however it ends (upgraded or refused by ws). Made
 * outside the upgrade handler on purpose: closures made in one function share one context, so a
 * listener made there would keep the upgrade request (its headers, raw headers and their strings,
 * about 1.5 KB) alive for as long as the connection lasts.
 */
function releaseOnClose(socket: Duplex, connections: ConnectionsPerAddress, address: string): void {
  socket.once('close', () => connections.closed(address));
}

/**
 * A session's socket. STOMP frames are text; a Buffer goes out as a text message without another
 * encoding pass. Frames written in one turn of the event loop (a replay page, a burst of receipts)
 * leave in one write: corking the TCP socket until the next tick saves a system call per frame.
 */
class WebSocketTransport implements Transport {
  private corked = false;
  // Bytes held back by the cork (not by the reader): let go every CORK_FLUSH_BYTES, so what waits in
  // the socket's buffer is what the reader has not taken (its bufferedAmount is the slow-consumer
  // measure).
  private corkedBytes = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly tcp: Duplex,
  ) {}

  send(data: Buffer | string): void {
    if (!this.corked) {
      this.corked = true;
      this.tcp.cork();
      process.nextTick(uncork, this);
    }
    this.socket.send(data, { binary: false });
    this.corkedBytes += Buffer.byteLength(data);
    if (this.corkedBytes >= CORK_FLUSH_BYTES) {
      this.corkedBytes = 0;
      this.tcp.uncork();
      this.tcp.cork();
    }
  }

  uncork(): void {
    this.corked = false;
    this.corkedBytes = 0;
    this.tcp.uncork();
  }

  close(): void {
    this.socket.close(1000);
    setTimeout(terminate, CLOSE_GRACE_MS, this.socket).unref();
  }

  buffered(): number {
    return this.socket.bufferedAmount;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

const uncork = (transport: WebSocketTransport) => transport.uncork();
const terminate = (socket: WebSocket) => socket.terminate();

const SESSION = Symbol('stomp session');
type SessionSocket = WebSocket & { [SESSION]: StompSession };

const sessionOf = (socket: WebSocket) => (socket as SessionSocket)[SESSION];

function onMessage(this: WebSocket, data: RawData) {
  sessionOf(this).receive(toBuffer(data));
}

function onClose(this: WebSocket) {
  sessionOf(this).closed();
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
