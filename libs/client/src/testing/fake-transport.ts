// A transport for unit tests: records what the client sends and lets a test play the server.
import type {
  CloseReason,
  Connection,
  ConnectionEvents,
  Headers,
  InboundMessage,
  Transport,
} from '../transport';

export interface SentFrame {
  readonly destination: string;
  readonly body: string;
  readonly headers: Headers;
}

export class FakeConnection implements Connection {
  readonly sent: SentFrame[] = [];
  readonly subscriptions = new Map<string, { headers: Headers; onMessage: (m: InboundMessage) => void }>();
  readonly acks: string[] = [];
  readonly nacks: string[] = [];
  private readonly receipts = new Map<string, () => void>();
  open = false;
  ended = false;

  constructor(
    readonly connectHeaders: Headers,
    private readonly events: ConnectionEvents,
  ) {}

  /** The server answers CONNECTED. */
  accept(): void {
    this.open = true;
    this.events.onConnected({ version: '1.2' });
  }

  /** The connection ends: a lost socket, or an ERROR (`code`). */
  drop(reason: Partial<CloseReason> = {}): void {
    if (this.ended) return;
    this.open = false;
    this.ended = true;
    this.events.onClosed({ message: 'dropped', beforeConnected: false, ...reason });
  }

  send(destination: string, body: string, headers: Headers = {}): void {
    if (this.open) this.sent.push({ destination, body, headers });
  }

  sendWithReceipt(
    destination: string,
    body: string,
    receiptId: string,
    onReceipt: () => void,
    headers: Headers = {},
  ): void {
    if (!this.open) return;
    this.receipts.set(receiptId, onReceipt);
    this.sent.push({ destination, body, headers: { ...headers, receipt: receiptId } });
  }

  subscribe(
    destination: string,
    onMessage: (message: InboundMessage) => void,
    headers: Headers = {},
  ): () => void {
    this.subscriptions.set(destination, { headers, onMessage });
    return () => this.subscriptions.delete(destination);
  }

  close(): void {
    this.drop({ message: 'closed by the client' });
  }

  /** The server's RECEIPT for a frame. */
  receipt(receiptId: string): void {
    const callback = this.receipts.get(receiptId);
    this.receipts.delete(receiptId);
    callback?.();
  }

  /** Frames sent to a destination, bodies parsed. */
  bodies(destination: string): Array<Record<string, unknown> & { receipt: string }> {
    return this.sent
      .filter((f) => f.destination === destination)
      .map((f) => ({ ...(JSON.parse(f.body) as Record<string, unknown>), receipt: f.headers.receipt ?? '' }));
  }

  /** The server pushes a MESSAGE on a subscription. */
  push(destination: string, body: unknown, headers: Record<string, string> = {}): void {
    const subscription = this.subscriptions.get(destination);
    if (!subscription) throw new Error(`no subscription to ${destination}`);
    const ackId = headers.ack ?? headers['inbox-position'] ?? '';
    subscription.onMessage({
      headers,
      body: JSON.stringify(body),
      ack: () => {
        if (this.open) this.acks.push(ackId);
      },
      nack: () => {
        if (this.open) this.nacks.push(ackId);
      },
    });
  }

  /** An inbox item at `position`. */
  pushInbox(position: number, item: unknown): void {
    this.push('/user/queue/messages', item, { 'inbox-position': String(position), ack: String(position) });
  }

  /** A refusal on /user/queue/errors. */
  refuse(refusal: Record<string, unknown>): void {
    this.push('/user/queue/errors', refusal);
  }
}

export class FakeTransport implements Transport {
  readonly connections: FakeConnection[] = [];

  open(connectHeaders: Headers, events: ConnectionEvents): Connection {
    const connection = new FakeConnection(connectHeaders, events);
    this.connections.push(connection);
    return connection;
  }

  get last(): FakeConnection {
    const connection = this.connections[this.connections.length - 1];
    if (!connection) throw new Error('no connection was opened');
    return connection;
  }
}
