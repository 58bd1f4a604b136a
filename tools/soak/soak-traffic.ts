import { randomUUID } from 'node:crypto';
import { StompLoadClient } from '../bench/stomp-load-client';
import type { SoakLedger } from './soak-ledger';

/** Where a user sends: a direct conversation (by recipient) or a group (by id), and who receives. */
export interface SendTarget {
  readonly recipientId?: string;
  readonly conversationId?: string;
  readonly recipients: readonly string[];
}

export interface SoakUser {
  readonly userId: string;
  readonly targets: readonly SendTarget[];
}

export interface TrafficOptions {
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly users: readonly SoakUser[];
  readonly token: (userId: string) => Promise<string>;
  readonly ledger: SoakLedger;
  /** Sends per second over all users. */
  readonly rate: number;
  /** The share of sends made over HTTP (the rest over STOMP). */
  readonly httpShare: number;
  /** One in this many received messages is answered with a read receipt. */
  readonly readEvery: number;
  /** How often one device disconnects and comes back 1-3 s later (0: never). */
  readonly bounceEveryMs: number;
}

interface PendingSend {
  readonly messageId: string;
  readonly user: SoakUser;
  readonly device: SoakDevice;
  readonly via: 'stomp' | 'http';
  readonly body: string;
  readonly attempt: number;
}

const RECEIPT_TIMEOUT_MS = 60_000;
/** A refused or failed send is tried again after 0.5 s, doubling to 5 s (with jitter): no retry storm. */
const RETRY_MS = 500;
const RETRY_MAX_MS = 5_000;
/**
 * Sends of one device not yet acknowledged beyond which it makes no new one (counted as "not made"):
 * a client does not pile up sends it cannot get answered, and a machine slower than the target rate
 * is measured at what it carries instead of collapsing under timeouts and resends.
 */
const OUTSTANDING_PER_DEVICE = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/**
 * The soak's clients, as a real client behaves: one STOMP session per user (its device) that
 * subscribes to its inbox, ACKs every item and sometimes answers with a read receipt; sends at a
 * fixed overall rate over STOMP with RECEIPTs and some over HTTP; when the connection drops it
 * reconnects and sends again, with the same messageId, whatever was not acknowledged.
 */
export class SoakTraffic {
  readonly devices: SoakDevice[];
  private sending = false;
  private pacer: Promise<void> = Promise.resolve();
  private bouncer: NodeJS.Timeout | undefined;
  private readonly outstanding = new Set<string>();
  /** Sends not made because too many were outstanding (the clients' back-pressure). */
  skipped = 0;
  /** Refusals seen (code → count), retried unless final. */
  readonly refusals = new Map<string, number>();

  constructor(private readonly options: TrafficOptions) {
    this.devices = options.users.map(
      (user, i) => new SoakDevice(user, `soak-device-${i}`, options, (send) => this.dispatch(send)),
    );
  }

  async connectAll(): Promise<void> {
    await Promise.all(this.devices.map((device) => device.start()));
  }

  startSending(): void {
    this.sending = true;
    this.pacer = this.pace();
    if (this.options.bounceEveryMs > 0)
      this.bouncer = setInterval(
        () => pick(this.devices).bounce(1_000 + Math.random() * 2_000),
        this.options.bounceEveryMs,
      );
  }

  async stopSending(): Promise<void> {
    this.sending = false;
    clearInterval(this.bouncer);
    await this.pacer;
  }

  get outstandingCount(): number {
    return this.outstanding.size;
  }

  /** Waits until every send was acknowledged, or the time is up. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.outstanding.size > 0 && Date.now() < deadline) await sleep(200);
  }

  async close(): Promise<void> {
    clearInterval(this.bouncer);
    this.sending = false;
    await Promise.all(this.devices.map((device) => device.stop()));
  }

  private async pace(): Promise<void> {
    const started = Date.now();
    let made = 0;
    while (this.sending) {
      const due = Math.floor(((Date.now() - started) / 1000) * this.options.rate) - made;
      for (let i = 0; i < due; i++) {
        made++;
        this.newSend();
      }
      await sleep(10);
    }
  }

  private newSend(): void {
    const device = pick(this.devices);
    if (device.outstanding >= OUTSTANDING_PER_DEVICE) {
      this.skipped++;
      return;
    }
    device.outstanding++;
    const { user } = device;
    const target = pick(user.targets);
    const messageId = randomUUID();
    const via = Math.random() < this.options.httpShare ? 'http' : 'stomp';
    const body = JSON.stringify({
      messageId,
      ...(target.recipientId
        ? { recipientId: target.recipientId }
        : { conversationId: target.conversationId }),
      text: `soak ${messageId.slice(0, 8)} from ${user.userId.slice(0, 8)}`,
    });
    this.outstanding.add(messageId);
    this.options.ledger.attempt(
      { messageId, senderId: user.userId, recipients: target.recipients, via },
      Date.now(),
    );
    this.dispatch({ messageId, user, device, via, body, attempt: 1 });
  }

  /** One attempt of `send`; a failed one is made again later with the same body (same messageId). */
  private dispatch(send: PendingSend): void {
    if (send.attempt > 1) this.options.ledger.retried(send.messageId, Date.now());
    const attemptAt = Date.now();
    const done = () => {
      this.options.ledger.acknowledge(send.messageId, attemptAt, Date.now());
      if (this.outstanding.delete(send.messageId)) send.device.outstanding--;
    };
    const again = (error: unknown) => {
      if (!this.outstanding.has(send.messageId)) return; // an earlier attempt was answered meanwhile
      const text = String(error);
      const code =
        /refused: (\S+)/.exec(text)?.[1] ?? (text.includes('no answer') ? 'timeout' : 'connection');
      this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
      const delay = Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (send.attempt - 1)) * (0.5 + Math.random());
      setTimeout(() => this.dispatch({ ...send, attempt: send.attempt + 1 }), delay);
    };
    if (send.via === 'http') {
      void this.postHttp(send).then(done, again);
      return;
    }
    const client = send.device.client;
    if (!client?.isOpen) {
      send.device.queue(send); // sent when the device is connected again
      return;
    }
    void withTimeout(client.sendWithReceipt('/app/chat.send', send.body), RECEIPT_TIMEOUT_MS).then(
      done,
      again,
    );
  }

  private async postHttp(send: PendingSend): Promise<void> {
    const response = await fetch(`${this.options.httpUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await send.device.token()}` },
      body: send.body,
      signal: AbortSignal.timeout(RECEIPT_TIMEOUT_MS),
    });
    const text = await response.text();
    if (response.status !== 202) {
      const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? String(response.status);
      throw new Error(`refused: ${code}`);
    }
  }
}

/** One user's device: a STOMP session that comes back whenever it is lost, until stopped. */
class SoakDevice {
  client: StompLoadClient | undefined;
  private connecting: StompLoadClient | undefined;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly waiting: PendingSend[] = [];
  private cachedToken: string | undefined;
  private awayUntil = 0;
  private firstConnect: (() => void) | undefined;
  private received = 0;
  /** Sends made by this device and not acknowledged yet. */
  outstanding = 0;
  /** Inbox subscriptions made again because the gateway said so. */
  resubscribed = 0;

  constructor(
    readonly user: SoakUser,
    private readonly deviceId: string,
    private readonly options: TrafficOptions,
    private readonly dispatch: (send: PendingSend) => void,
  ) {}

  async token(): Promise<string> {
    return (this.cachedToken ??= await this.options.token(this.user.userId));
  }

  start(): Promise<void> {
    const connected = new Promise<void>((resolve) => (this.firstConnect = resolve));
    this.loop = this.run();
    return connected;
  }

  queue(send: PendingSend): void {
    this.waiting.push(send);
  }

  /** Disconnects now and stays away for `awayMs` (a phone going through a tunnel). */
  bounce(awayMs: number): void {
    this.awayUntil = Date.now() + awayMs;
    this.client?.close();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // The session being connected too: it would otherwise come up after the stop and stay.
    this.connecting?.close();
    this.client?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.stopped) {
      if (Date.now() < this.awayUntil) await sleep(this.awayUntil - Date.now());
      const client = new StompLoadClient(this.options.wsUrl);
      this.connecting = client;
      const closed = new Promise<void>((resolve) => (client.onClose = resolve));
      client.onInboxItem = (raw) => this.onItem(client, raw);
      client.onUnexpected = (frame) => {
        // The protocol's answer to an inbox that could not be read: subscribe again.
        const body = frame.body.toString('utf8');
        if (
          frame.command === 'MESSAGE' &&
          body.includes('"UNAVAILABLE"') &&
          body.includes('subscribe again')
        ) {
          this.resubscribed++;
          client.subscribeInbox();
        }
      };
      try {
        // Generous: a gateway that has just restarted takes every device's CONNECT at once, and a
        // client that gives up early only adds another handshake to the queue.
        await withTimeout(client.connect(await this.token(), { 'device-id': this.deviceId }), 30_000);
        client.subscribe('errors', '/user/queue/errors');
        client.subscribeInbox();
        this.connecting = undefined;
        if (this.stopped) throw new Error('stopped while connecting');
        this.client = client;
        backoff = 250;
        this.firstConnect?.();
        this.firstConnect = undefined;
        for (const send of this.waiting.splice(0)) this.dispatch(send);
        await closed;
      } catch {
        client.close();
        await Promise.race([closed, sleep(2_000)]);
      }
      this.client = undefined;
      this.connecting = undefined;
      if (this.stopped) return;
      await sleep(backoff * (0.5 + Math.random()));
      backoff = Math.min(5_000, backoff * 2);
    }
  }

  private onItem(client: StompLoadClient, raw: Buffer): void {
    const item = JSON.parse(raw.toString('utf8')) as {
      kind: string;
      messageId?: string;
      conversationId?: string;
      seq?: number;
    };
    if (item.kind !== 'message' || item.messageId === undefined) return;
    this.options.ledger.receive(this.user.userId, item.messageId);
    if (++this.received % this.options.readEvery === 0 && client.isOpen)
      client.send('/app/chat.read', JSON.stringify({ conversationId: item.conversationId, seq: item.seq }));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
