import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { FrameParser, SERVER_COMMANDS, encodeFrame, type StompFrame } from '@parley/stomp';

/**
 * A lean STOMP 1.2 client for load generation: raw frames over `ws`, one parser, receipts matched by
 * id. (@stomp/stompjs is what the tests use; here the load generator shares the machine's two cores
 * with the system under test, so it must cost little.)
 */
export class StompLoadClient {
  private readonly parser = new FrameParser({ maxFrameBytes: 1024 * 1024, commands: SERVER_COMMANDS });
  private readonly waiting = new Map<
    string,
    { started: number; resolve: (ms: number) => void; reject: (error: Error) => void }
  >();
  private readonly socket: WebSocket;
  private nextReceipt = 0;
  private connected?: (frame: StompFrame<string>) => void;
  private failed?: (error: Error) => void;
  /** Frames other than CONNECTED and RECEIPT (errors-queue MESSAGEs, ERROR). */
  readonly unexpected: StompFrame<string>[] = [];
  /** Called for each inbox item (a MESSAGE on `/user/queue/messages`); the client ACKs it. */
  onInboxItem: ((body: Buffer, position: number) => void) | undefined;
  /** Called for each frame other than CONNECTED, RECEIPT and inbox items (after it is recorded). */
  onUnexpected: ((frame: StompFrame<string>) => void) | undefined;
  /** Called once the socket has closed (after every waiting receipt was rejected). */
  onClose: (() => void) | undefined;

  constructor(url: string) {
    this.socket = new WebSocket(url, ['v12.stomp'], { perMessageDeflate: false });
    this.socket.on('message', (data: Buffer) => this.receive(data));
    this.socket.on('error', (error) => this.failed?.(error));
    this.socket.on('close', () => {
      const last = this.unexpected[this.unexpected.length - 1];
      const error = new Error(
        `the gateway closed the connection${last ? ` after ${last.command} ${JSON.stringify(last.headers)} ${last.body.toString()}` : ''}`,
      );
      for (const entry of this.waiting.values()) entry.reject(error);
      this.waiting.clear();
      this.onClose?.();
    });
  }

  async connect(token: string, headers: Record<string, string> = {}): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    await new Promise<StompFrame<string>>((resolve, reject) => {
      this.connected = resolve;
      this.failed = reject;
      this.write({
        command: 'CONNECT',
        headers: {
          'accept-version': '1.2',
          host: 'parley',
          'heart-beat': '0,0',
          Authorization: `Bearer ${token}`,
          ...headers,
        },
        body: Buffer.alloc(0),
      });
    });
  }

  /** SEND with a receipt; resolves with the milliseconds until the RECEIPT arrived. */
  sendWithReceipt(destination: string, body: string): Promise<number> {
    const receipt = String(this.nextReceipt++);
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(receipt, { started: performance.now(), resolve, reject });
      this.write({
        command: 'SEND',
        headers: { destination, receipt, 'content-type': 'application/json' },
        body: Buffer.from(body),
      });
    });
  }

  /** SEND without a receipt (read receipts, typing). */
  send(destination: string, body: string): void {
    this.write({
      command: 'SEND',
      headers: { destination, 'content-type': 'application/json' },
      body: Buffer.from(body),
    });
  }

  /** Whether frames can be written now (a SEND on a closed socket would wait for ever). */
  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Subscribes to the inbox with client-individual ACKs; every item is ACKed as it arrives. */
  subscribeInbox(): void {
    this.write({
      command: 'SUBSCRIBE',
      headers: { id: 'inbox', destination: '/user/queue/messages', ack: 'client-individual' },
      body: Buffer.alloc(0),
    });
  }

  /** Subscribes (for the errors queue, so refusals show up instead of hanging). */
  subscribe(id: string, destination: string): void {
    this.write({ command: 'SUBSCRIBE', headers: { id, destination }, body: Buffer.alloc(0) });
  }

  close(): void {
    this.socket.close();
  }

  /** A refusal on /user/queue/errors names the receipt it answers instead of a RECEIPT. */
  private refused(frame: StompFrame<string>): void {
    if (frame.command !== 'MESSAGE') return;
    try {
      const body = JSON.parse(frame.body.toString('utf8')) as {
        receiptId?: string;
        code?: string;
        message?: string;
      };
      const entry = body.receiptId === undefined ? undefined : this.waiting.get(body.receiptId);
      if (entry && body.receiptId !== undefined) {
        this.waiting.delete(body.receiptId);
        entry.reject(new Error(`refused: ${body.code} ${body.message}`));
      }
    } catch {
      // not a refusal
    }
  }

  private write(frame: StompFrame<string>): void {
    this.socket.send(encodeFrame(frame));
  }

  private receive(data: Buffer): void {
    for (const item of this.parser.push(data)) {
      if (item.kind !== 'frame') continue;
      const { frame } = item;
      if (frame.command === 'CONNECTED') this.connected?.(frame);
      else if (frame.command === 'RECEIPT') {
        const id = frame.headers['receipt-id'] ?? '';
        const entry = this.waiting.get(id);
        if (entry) {
          this.waiting.delete(id);
          entry.resolve(performance.now() - entry.started);
        }
      } else if (frame.command === 'MESSAGE' && frame.headers.subscription === 'inbox') {
        const position = Number(frame.headers['inbox-position']);
        this.onInboxItem?.(frame.body, position);
        this.write({ command: 'ACK', headers: { id: frame.headers.ack ?? '' }, body: Buffer.alloc(0) });
      } else {
        this.unexpected.push(frame);
        this.refused(frame);
        this.onUnexpected?.(frame);
        if (frame.command === 'ERROR') this.failed?.(new Error(frame.headers.message ?? 'ERROR'));
      }
    }
  }
}
