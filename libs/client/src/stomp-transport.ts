import { Client, type IFrame, type IStompSocket } from '@stomp/stompjs';
import type { CloseReason, Connection, ConnectionEvents, Headers, Transport } from './transport';

/** Makes the WebSocket of one connection: the browser's by default; in Node, one from the `ws` package. */
export type WebSocketFactory = (url: string, protocols: string[]) => IStompSocket;

export interface StompTransportOptions {
  /** `ws://` or `wss://` address of the gateway's `/ws` endpoint. */
  readonly url: string;
  /** Default: the global `WebSocket` (browsers, Node 22+). In Node 20 pass `nodeWebSocketFactory`. */
  readonly webSocketFactory?: WebSocketFactory;
  /** Heart-beats both ways, in ms (default 10 s, the server's offer; PROTOCOL §3.2). 0: none. */
  readonly heartbeatMs?: number;
  /** An attempt that has not reached CONNECTED in this time is given up (default 15 s). */
  readonly connectTimeoutMs?: number;
  /** For debugging: every line stompjs logs. */
  readonly debug?: (line: string) => void;
}

function browserWebSocket(url: string, protocols: string[]): IStompSocket {
  const Ctor = (globalThis as { WebSocket?: new (url: string, protocols: string[]) => IStompSocket })
    .WebSocket;
  if (!Ctor)
    throw new Error('no global WebSocket here: pass webSocketFactory (in Node: nodeWebSocketFactory)');
  return new Ctor(url, protocols);
}

/** The real transport: one `@stomp/stompjs` client per connection, with stompjs' reconnect turned off. */
export class StompTransport implements Transport {
  constructor(private readonly options: StompTransportOptions) {}

  open(connectHeaders: Headers, events: ConnectionEvents): Connection {
    const factory = this.options.webSocketFactory ?? browserWebSocket;
    const heartbeat = this.options.heartbeatMs ?? 10_000;
    let connected = false;
    let ended = false;
    let error: IFrame | undefined;
    const finish = (reason: CloseReason) => {
      if (ended) return;
      ended = true;
      void client.deactivate({ force: true }).catch(() => undefined);
      events.onClosed(reason);
    };
    const client: Client = new Client({
      webSocketFactory: () => factory(this.options.url, ['v12.stomp']),
      connectHeaders: { ...connectHeaders },
      reconnectDelay: 0,
      heartbeatIncoming: heartbeat,
      heartbeatOutgoing: heartbeat,
      connectionTimeout: this.options.connectTimeoutMs ?? 15_000,
      // Frames are not split: Parley's frames are small, and the server takes whole ones.
      debug: this.options.debug ?? (() => undefined),
      onConnect: (frame) => {
        connected = true;
        events.onConnected(frame.headers);
      },
      onStompError: (frame) => {
        error = frame;
      },
      onWebSocketClose: (event: { code?: number; reason?: string }) => {
        finish(
          error
            ? {
                code: error.headers.message ?? 'ERROR',
                message: error.body || (error.headers.message ?? 'the server ended the session'),
                beforeConnected: !connected,
              }
            : {
                message: `the connection closed (${event.code ?? 'no code'}${event.reason ? `: ${event.reason}` : ''})`,
                beforeConnected: !connected,
              },
        );
      },
    });
    client.activate();
    const live = () => connected && !ended && client.connected;
    return {
      send: (destination, body, headers = {}) => {
        if (live()) client.publish({ destination, body, headers: { ...headers } });
      },
      sendWithReceipt: (destination, body, receiptId, onReceipt, headers = {}) => {
        if (!live()) return;
        client.watchForReceipt(receiptId, () => onReceipt());
        client.publish({ destination, body, headers: { ...headers, receipt: receiptId } });
      },
      subscribe: (destination, onMessage, headers = {}) => {
        if (!live()) return () => undefined;
        const subscription = client.subscribe(
          destination,
          (message) =>
            onMessage({
              headers: message.headers,
              body: message.body,
              ack: () => {
                if (live()) message.ack();
              },
              nack: () => {
                if (live()) message.nack();
              },
            }),
          { ...headers },
        );
        return () => {
          if (live()) subscription.unsubscribe();
        };
      },
      close: () => {
        if (ended) return;
        void client
          .deactivate()
          .finally(() => finish({ message: 'closed by the client', beforeConnected: !connected }));
      },
    };
  }
}
