import { backoffDelay, DEFAULT_RECONNECT_BACKOFF, type BackoffPolicy } from './backoff';
import { isFatalConnectCode, ParleyError } from './errors';
import { WritableStore, type ReadableStore } from './store';
import type { CloseReason, Connection, Headers, Transport } from './transport';

/**
 * - `idle`: not started (or signed out);
 * - `connecting`: an attempt is under way;
 * - `online`: CONNECTED, subscriptions in place;
 * - `offline`: the connection was lost or could not be made; the next attempt comes at `retryAt`;
 * - `refused`: the server refused the session for a reason reconnecting cannot fix (`error` says
 *   which: `TOKEN_INVALID`, `ACCOUNT_DISABLED`, an expired token that could not be renewed, ...);
 * - `closed`: the client was closed.
 */
export type ConnectionState = 'idle' | 'connecting' | 'online' | 'offline' | 'refused' | 'closed';

export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** Why the last connection ended or was refused. */
  readonly error?: ParleyError;
  /** `offline`: epoch ms of the next attempt. */
  readonly retryAt?: number;
  /** Attempts since the last time the client was online. */
  readonly failures: number;
}

export interface ConnectionManagerOptions {
  /** The CONNECT headers of the next attempt (the token is read anew for each). */
  readonly headers: () => Promise<Headers>;
  /** Renews the token after a `TOKEN_EXPIRED` refusal; rejects when it cannot. */
  readonly renewToken?: () => Promise<void>;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  /** A connection is up (CONNECTED). */
  readonly onOnline: (connection: Connection) => void;
  /** The connection that was up is gone. */
  readonly onOffline: () => void;
}

/**
 * Keeps one STOMP connection up: connects, and after a loss reconnects with exponential backoff and
 * jitter, until stopped or refused for good. Heart-beats are the transport's: a silent connection is
 * closed and counts as lost.
 */
export class ConnectionManager {
  private readonly store = new WritableStore<ConnectionStatus>({ state: 'idle', failures: 0 });
  private connection: Connection | undefined;
  private online: Connection | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private generation = 0;

  constructor(
    private readonly transport: Transport,
    private readonly options: ConnectionManagerOptions,
  ) {}

  get status(): ReadableStore<ConnectionStatus> {
    return this.store;
  }

  /** The live connection, when online. */
  get current(): Connection | undefined {
    return this.online;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.store.set({ state: 'connecting', failures: 0 });
    void this.attempt();
  }

  /** Skips the wait of an `offline` client (the app knows the network is back). */
  reconnectNow(): void {
    if (!this.running || this.store.getSnapshot().state !== 'offline') return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.attempt();
  }

  /**
   * The app knows the connection is gone (the browser went offline): it counts as lost now, and the
   * next attempt follows the backoff, instead of waiting for the heart-beats to notice. A browser's
   * offline mode holds an open WebSocket's frames without closing it, so without this a send would
   * wait for a socket that cannot deliver it.
   */
  connectionLost(): void {
    const state = this.store.getSnapshot().state;
    if (!this.running || (state !== 'online' && state !== 'connecting')) return;
    this.generation += 1;
    const connection = this.connection;
    this.connection = undefined;
    if (this.online) {
      this.online = undefined;
      this.options.onOffline();
    }
    connection?.close();
    void this.closed({ message: 'the network is gone', beforeConnected: false });
  }

  /** Ends the connection and stops reconnecting; the state becomes `state` (`idle` or `closed`). */
  stop(state: 'idle' | 'closed' = 'idle'): void {
    this.running = false;
    this.generation += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    if (this.online) {
      this.online = undefined;
      this.options.onOffline();
    }
    connection?.close();
    this.store.set({ state, failures: 0 });
  }

  private async attempt(): Promise<void> {
    const generation = ++this.generation;
    const failures = this.store.getSnapshot().failures;
    this.store.set({ ...this.without('retryAt'), state: 'connecting', failures });
    let headers: Headers;
    try {
      headers = await this.options.headers();
    } catch (error) {
      if (generation !== this.generation) return;
      this.refuse(
        error instanceof ParleyError ? error : new ParleyError('NOT_SIGNED_IN', String(error), 'client'),
      );
      return;
    }
    if (generation !== this.generation) return;
    const connection = this.transport.open(headers, {
      onConnected: () => {
        if (generation !== this.generation) return;
        this.online = connection;
        this.store.set({ state: 'online', failures: 0 });
        this.options.onOnline(connection);
      },
      onClosed: (reason) => {
        if (generation !== this.generation) return;
        this.connection = undefined;
        if (this.online === connection) {
          this.online = undefined;
          this.options.onOffline();
        }
        void this.closed(reason);
      },
    });
    this.connection = connection;
  }

  private async closed(reason: CloseReason): Promise<void> {
    if (!this.running) return;
    const error = new ParleyError(
      reason.code ?? 'NETWORK',
      reason.message,
      reason.code ? 'connect' : 'network',
    );
    if (reason.code && isFatalConnectCode(reason.code)) return this.refuse(error);
    if (reason.code === 'TOKEN_EXPIRED') {
      const generation = this.generation;
      try {
        await (this.options.renewToken?.() ?? Promise.reject(new Error('no renewal')));
      } catch {
        return this.refuse(error);
      }
      if (generation === this.generation && this.running) void this.attempt();
      return;
    }
    const failures = this.store.getSnapshot().failures + 1;
    const delay = backoffDelay(
      failures - 1,
      this.options.backoff ?? DEFAULT_RECONNECT_BACKOFF,
      this.options.random,
    );
    this.store.set({ state: 'offline', error, retryAt: Date.now() + delay, failures });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) void this.attempt();
    }, delay);
  }

  private refuse(error: ParleyError): void {
    this.running = false;
    this.store.set({ state: 'refused', error, failures: this.store.getSnapshot().failures });
  }

  private without(key: 'retryAt'): Omit<ConnectionStatus, 'retryAt'> {
    const { [key]: _dropped, ...rest } = this.store.getSnapshot();
    return rest;
  }
}
