/** STOMP headers. */
export type Headers = Readonly<Record<string, string>>;

/** A MESSAGE frame of one subscription. */
export interface InboundMessage {
  readonly headers: Headers;
  readonly body: string;
  /** ACKs it (subscriptions with `client-individual` acks). */
  ack(): void;
  nack(): void;
}

/** Why a connection ended. */
export interface CloseReason {
  /** The ERROR frame's `message` header (a code before CONNECTED, PROTOCOL §3.1), if one came. */
  readonly code?: string;
  /** Words for people: the ERROR body, or what happened to the socket. */
  readonly message: string;
  /** The connection ended before CONNECTED: the server refused it, or it was never reached. */
  readonly beforeConnected: boolean;
}

/** One connection's life, as a {@link Transport} reports it. */
export interface ConnectionEvents {
  /** CONNECTED came. */
  onConnected(headers: Headers): void;
  /** The connection ended, for whatever reason (called once). */
  onClosed(reason: CloseReason): void;
}

/** One live STOMP connection. */
export interface Connection {
  send(destination: string, body: string, headers?: Headers): void;
  /** SENDs with a `receipt` header; `onReceipt` runs when its RECEIPT comes. */
  sendWithReceipt(
    destination: string,
    body: string,
    receiptId: string,
    onReceipt: () => void,
    headers?: Headers,
  ): void;
  subscribe(destination: string, onMessage: (message: InboundMessage) => void, headers?: Headers): () => void;
  /** Ends the connection (DISCONNECT, then the socket closes). */
  close(): void;
}

/**
 * Opens STOMP connections. The SDK's connection manager calls `open` once per attempt, so the
 * transport does not reconnect on its own. `StompTransport` is the real one (on `@stomp/stompjs`);
 * unit tests use a fake.
 */
export interface Transport {
  open(connectHeaders: Headers, events: ConnectionEvents): Connection;
}
