import { performance } from 'node:perf_hooks';
import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';

/**
 * The standard STOMP client users would use (@stomp/stompjs, default settings but no reconnect),
 * with what the end-to-end benchmark needs: an inbox subscription that ACKs every MESSAGE,
 * SENDs with and without a receipt, and the refusals of /user/queue/errors counted.
 */
export class StandardStompClient {
  /** Refusals that arrived on /user/queue/errors. */
  refused = 0;
  /** Called with each inbox MESSAGE's body (before its ACK) and the moment it arrived. */
  onInboxItem: ((body: string, arrivedAt: number) => void) | undefined;
  private nextReceipt = 0;

  private constructor(private readonly client: Client) {}

  static async connect(wsUrl: string, token: string): Promise<StandardStompClient> {
    const client = new Client({
      webSocketFactory: () => new WebSocket(wsUrl, ['v12.stomp'], { perMessageDeflate: false }),
      connectHeaders: { Authorization: `Bearer ${token}` },
      reconnectDelay: 0,
    });
    await new Promise<void>((resolve, reject) => {
      client.onConnect = () => resolve();
      client.onStompError = (frame) => reject(new Error(`CONNECT refused: ${frame.headers.message}`));
      client.onWebSocketClose = () => reject(new Error('the gateway closed the connection during CONNECT'));
      client.activate();
    });
    client.onWebSocketClose = () => undefined;
    const connected = new StandardStompClient(client);
    client.subscribe('/user/queue/errors', () => connected.refused++);
    return connected;
  }

  subscribeInbox(): void {
    this.client.subscribe(
      '/user/queue/messages',
      (message) => {
        this.onInboxItem?.(message.body, performance.now());
        message.ack();
      },
      { ack: 'client-individual' },
    );
  }

  /** SEND without a receipt (open loop: nothing is waited for). */
  send(destination: string, body: string): void {
    this.client.publish({ destination, body, headers: { 'content-type': 'application/json' } });
  }

  /** SEND with a receipt; resolves with the moment (performance.now()) the RECEIPT arrived. */
  sendWithReceipt(destination: string, body: string): Promise<number> {
    const receipt = `r${this.nextReceipt++}`;
    return new Promise<number>((resolve) => {
      this.client.watchForReceipt(receipt, () => resolve(performance.now()));
      this.client.publish({
        destination,
        body,
        headers: { 'content-type': 'application/json', receipt },
      });
    });
  }

  close(): Promise<void> {
    return this.client.deactivate();
  }
}
