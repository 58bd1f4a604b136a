import { randomUUID } from 'node:crypto';
import { bearerToken } from '@parley/auth';
import { DomainError, UnavailableError, parseClientId } from '@parley/domain';
import type { Logger } from '@parley/logging';
import { withDefaults } from '@parley/runtime';
import {
  FrameParser,
  HEARTBEAT,
  StompProtocolError,
  encodeFrame,
  negotiateHeartBeats,
  negotiateVersion,
  type FrameParserOptions,
  type StompFrame,
} from '@parley/stomp';
import { parseSubscription, type Destination } from './destinations';

export interface Transport {
  /** One STOMP frame (or a heart-beat EOL), sent as one WebSocket text message. */
  send(data: Buffer | string): void;
  close(): void;
  /** Stop reading the socket (the session holds as many SENDs as it may); `resume` reads again. */
  pause?(): void;
  resume?(): void;
  /** Bytes handed to `send` that the socket has not yet passed to the kernel (a reader that stalls). */
  buffered?(): number;
}

/** A SEND to an application destination, with the sender the session authenticated. */
export interface SendContext {
  readonly userId: string;
  readonly deviceId: string;
  readonly sessionId: string;
  readonly destination: string;
  readonly body: Buffer;
}

/** What a device's inbox subscription is given. */
export interface InboxContext {
  readonly userId: string;
  readonly deviceId: string;
  readonly autoAck: boolean;
  /** Writes one item: a MESSAGE frame with `ack` and `inbox-position`. */
  push(position: number, body: unknown): void;
  /**
   * Undefined while the socket can take more; otherwise resolves once half its outbound buffer is
   * free (or the session ended): a replay waits for it, so a large one never fills the buffer.
   */
  ready(): Promise<void> | undefined;
}

/** A device's inbox subscription, as the session drives it. */
export interface InboxFeed {
  start(fromPosition?: number): Promise<void>;
  ack(position: number): void;
  ackUpTo(position: number): void;
  nack(position: number): void;
  stop(): void;
}

/** Who a token belongs to, and until when it is valid. */
export interface AuthenticatedUser {
  readonly userId: string;
  /** The token's expiry (ms since the epoch): the session ends then unless it is given a fresh one. */
  readonly expiresAtMs?: number;
}

/**
 * A live channel being listened to: `ready` once notices published from now on will arrive (the
 * subscription is confirmed by Redis), `stop` to end it.
 */
export interface LiveWatch {
  readonly ready: Promise<void>;
  readonly stop: () => void;
}

/**
 * How long CONNECTED, or a conversation SUBSCRIBE's RECEIPT, waits for its live channel to be ready.
 * Waiting means a notice published after the client saw the answer reaches it; the bound means a slow
 * or absent Redis (live notices are best effort) delays the answer, never withholds it.
 */
export const LIVE_READY_TIMEOUT_MS = 2_000;

/** The numbers that bound what one session may hold (the README lists their settings). */
export interface SessionLimits {
  /** A socket that has not sent CONNECT within this time gets ERROR and is closed. */
  readonly connectTimeoutMs: number;
  /** Subscriptions one session may hold at once (one of them, at most, the inbox). */
  readonly maxSubscriptions: number;
  /** SENDs one session may have in progress at once; beyond it the socket is not read. */
  readonly maxSendsInFlight: number;
  /**
   * Bytes waiting in the socket's outbound buffer above which a live notice is dropped and anything
   * else (an inbox item, a RECEIPT, a heart-beat) ends the session with ERROR `SLOW_CONSUMER`.
   */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  connectTimeoutMs: 10_000,
  maxSubscriptions: 64,
  maxSendsInFlight: 128,
  maxBufferedBytes: 4 * 1024 * 1024,
};

/** Parser options, one object per frame limit (a node has one limit and many sessions). */
const parserOptionsByLimit = new Map<number, FrameParserOptions>();
function parserOptions(maxFrameBytes: number): FrameParserOptions {
  let options = parserOptionsByLimit.get(maxFrameBytes);
  if (!options) parserOptionsByLimit.set(maxFrameBytes, (options = { maxFrameBytes }));
  return options;
}

/** Limits completed with the defaults, once per set of limits (sessions share it). */
const completeLimits = withDefaults(DEFAULT_SESSION_LIMITS);

/**
 * What a frame is to a client that stopped reading: a live notice (conversation feeds, typing,
 * receipts, presence) may be dropped, since history and statuses hold the same facts; anything else
 * may not, so the session ends instead; an ERROR frame is the last word and always goes out.
 */
type Delivery = 'live' | 'required' | 'last';

/** Where a client hands a session a fresh token before its current one expires. */
export const REFRESH_DESTINATION = '/app/session.refresh';

/** How often a replay waiting for the socket's buffer looks again. */
const OUTBOUND_POLL_MS = 20;

/** setTimeout's longest delay; a later expiry is looked at again then. */
const MAX_TIMER_MS = 2_147_483_647;

export interface StompSessionDeps {
  readonly transport: Transport;
  readonly limits?: Partial<SessionLimits>;
  /** False once the account was blocked or deleted (the log says so before the read models do). */
  mayAct?(userId: string): boolean;
  /** Whether one more session of the user may open (a cap per user); asked after authentication. */
  admit?(userId: string): boolean;
  /** True when the log removed the user from the conversation (the read model may still lag). */
  wasRemoved?(conversationId: string, userId: string): boolean;
  /**
   * Serves SEND frames. Resolves once the request is done (for a message: durably recorded), then
   * the session writes the RECEIPT; a DomainError is a refusal for /user/queue/errors.
   */
  handleSend?(context: SendContext): Promise<void>;
  /** The user's inbox for one device (`/user/queue/messages`); without it that queue stays silent. */
  openInbox?(context: InboxContext): InboxFeed;
  /** Live notices for the user's queues (receipts, typing, presence). */
  watchUser?(userId: string, deliver: (queue: string, body: unknown) => void): LiveWatch;
  /** The live feed of a conversation the user subscribed to. */
  watchConversation?(conversationId: string, deliver: (body: unknown) => void): LiveWatch;
  /** Told when the session is connected and when it ends (the registry of a node's sessions). */
  onOpen?(session: StompSession): void;
  onClose?(session: StompSession): void;
  /** The active user behind a token; throws an `unauthenticated` DomainError otherwise. */
  authenticate(token: string | undefined): Promise<AuthenticatedUser>;
  isMember(conversationId: string, userId: string): Promise<boolean>;
  readonly maxFrameBytes: number;
  /** What the server offers: it can send every `sendMs`, and wants to hear from clients every `receiveMs`. */
  readonly heartBeat: { readonly sendMs: number; readonly receiveMs: number };
  /** Told of each frame a client sent, by command (for frame-rate metrics). */
  readonly observeFrame?: (command: string) => void;
  readonly logger?: Logger;
}

interface Subscription {
  readonly id: string;
  readonly destination: string;
  readonly target: Destination;
  readonly ack: 'auto' | 'client' | 'client-individual';
  readonly inbox?: InboxFeed;
  readonly stopFeed?: () => void;
}

const SERVER = 'parley/0.1';
const ACK_MODES = ['auto', 'client', 'client-individual'] as const;

/**
 * One STOMP 1.2 connection: CONNECT with a bearer token, heart-beats, subscriptions, receipts.
 * Protocol violations get ERROR and the connection is closed; well-formed requests that are refused
 * are answered on `/user/queue/errors` and the connection stays open.
 */
export class StompSession {
  readonly id = randomUUID();
  private readonly parser: FrameParser;
  private state: 'awaiting-connect' | 'connected' | 'closed' = 'awaiting-connect';
  private userId: string | undefined;
  private deviceId: string | undefined;
  private readonly subscriptions = new Map<string, Subscription>();
  private queue: Promise<void> = Promise.resolve();
  /**
   * SENDs being served: they run concurrently, each answered (RECEIPT or refusal) when it is done.
   * Made on the first SEND: most sessions only receive, and an empty Set costs a hundred bytes.
   */
  private sendsInFlight: Set<Promise<void>> | undefined;
  private lastReceived = Date.now();
  private lastSent = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private expiryTimer: NodeJS.Timeout | undefined;
  private stopUserWatch: (() => void) | undefined;
  private readonly limits: SessionLimits;
  private roomAwaited: Promise<void> | undefined;

  constructor(private readonly deps: StompSessionDeps) {
    this.parser = new FrameParser(parserOptions(deps.maxFrameBytes));
    this.limits = completeLimits(deps.limits);
    // A socket that never sends CONNECT would hold its memory and descriptor forever.
    this.expiryTimer = setTimeout(() => {
      if (this.state === 'awaiting-connect') this.fail('CONNECT_TIMEOUT', undefined, 'no CONNECT in time');
    }, this.limits.connectTimeoutMs);
  }

  get user(): string | undefined {
    return this.userId;
  }

  get device(): string | undefined {
    return this.deviceId;
  }

  /** Bytes from the socket: parsed at once, frames handled strictly in order. */
  receive(data: Buffer): void {
    if (this.state === 'closed') return;
    this.lastReceived = Date.now();
    let items;
    try {
      items = this.parser.push(data);
    } catch (error) {
      this.fail(error instanceof StompProtocolError ? error.message : 'malformed frame');
      return;
    }
    for (const item of items) {
      if (item.kind === 'frame') this.queue = this.queue.then(() => this.handle(item.frame));
    }
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /** The socket is gone (closed by either side). */
  closed(): void {
    if (this.state === 'connected') this.deps.onClose?.(this);
    this.state = 'closed';
    for (const subscription of this.subscriptions.values()) {
      subscription.inbox?.stop();
      subscription.stopFeed?.();
    }
    this.stopUserWatch?.();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    clearTimeout(this.expiryTimer);
  }

  private async handle(frame: StompFrame<string>): Promise<void> {
    if (this.state === 'closed') return;
    this.deps.observeFrame?.(frame.command);
    try {
      if (this.state === 'awaiting-connect') {
        if (frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
          return this.fail(`expected CONNECT, got ${frame.command}`, frame);
        }
        return await this.connect(frame);
      }
      switch (frame.command) {
        case 'CONNECT':
        case 'STOMP':
          return this.fail('already connected', frame);
        case 'SUBSCRIBE':
          return await this.subscribe(frame);
        case 'UNSUBSCRIBE':
          this.unsubscribe(this.required(frame, 'id'));
          return this.receipt(frame);
        case 'SEND':
          return await this.startSend(frame);
        case 'ACK':
        case 'NACK':
          this.acknowledge(frame);
          return this.receipt(frame);
        case 'BEGIN':
        case 'COMMIT':
        case 'ABORT':
          return this.fail('transactions are not supported', frame);
        case 'DISCONNECT':
          // The RECEIPT says every earlier frame was handled: the SENDs still running included.
          if (this.sendsInFlight) await Promise.all(this.sendsInFlight);
          this.receipt(frame);
          return this.close();
        default:
          return this.fail(`unexpected ${frame.command}`, frame);
      }
    } catch (error) {
      return this.handlingFailed(frame, error);
    }
  }

  private handlingFailed(frame: StompFrame<string>, error: unknown): void {
    if (error instanceof StompProtocolError) return this.fail(error.message, frame);
    this.deps.logger?.error(
      { err: error, command: frame.command, session: this.id },
      'frame handling failed',
    );
    return this.fail('internal error', frame);
  }

  private async connect(frame: StompFrame<string>): Promise<void> {
    // ERRORs before CONNECTED carry a code or a phrase without a colon in `message`: clients do not
    // unescape headers before CONNECTED (stompjs would show a colon as `\c`).
    const version = negotiateVersion(frame.headers['accept-version']);
    if (!version)
      return this.fail('unsupported STOMP version', frame, 'this server speaks STOMP 1.1 and 1.2');
    const heartBeats = negotiateHeartBeats(frame.headers['heart-beat'], this.deps.heartBeat);
    // PROTOCOL writes `Authorization`; clients differ in case, and STOMP headers are case-sensitive.
    const authorization = frame.headers.Authorization ?? frame.headers.authorization;
    const token = bearerToken(authorization) ?? frame.headers.passcode;
    let user: AuthenticatedUser;
    try {
      user = await this.deps.authenticate(token);
      this.userId = user.userId;
    } catch (error) {
      // The code in the `message` header (no colon: before CONNECTED, clients do not unescape).
      if (error instanceof DomainError) return this.fail(error.code, frame, error.message);
      throw error;
    }
    // The socket closed while the token was checked: the session must not come alive.
    if (this.state === 'closed') return;
    if (this.deps.admit && !this.deps.admit(user.userId))
      return this.fail('TOO_MANY_SESSIONS', frame, 'this user has as many sessions open as allowed');
    const deviceHeader = frame.headers['device-id'];
    try {
      this.deviceId =
        deviceHeader === undefined ? `session:${this.id}` : parseClientId(deviceHeader, 'device-id');
    } catch (error) {
      if (error instanceof DomainError) return this.fail(error.code, frame, error.message);
      throw error;
    }
    // Listening starts before CONNECTED, and CONNECTED waits until it is live: a receipt published
    // the moment after the client sees CONNECTED (and subscribes to its queue) must not be missed.
    const userWatch = this.deps.watchUser?.(user.userId, (queue, body) =>
      this.pushToQueue(queue, body, {}, 'live'),
    );
    this.stopUserWatch = userWatch?.stop;
    if (userWatch) await liveReady(userWatch);
    // The socket closed meanwhile: closed() has stopped the watch. (A call, so that TypeScript does not
    // carry the earlier check of the state across the await.)
    if (this.isClosed()) return;
    this.state = 'connected';
    this.write({
      command: 'CONNECTED',
      headers: {
        version,
        'heart-beat': `${this.deps.heartBeat.sendMs},${this.deps.heartBeat.receiveMs}`,
        session: this.id,
        'user-name': this.userId,
        server: SERVER,
      },
      body: Buffer.alloc(0),
    });
    this.startHeartBeats(heartBeats.outgoingMs, heartBeats.incomingMs);
    this.expireAt(user.expiresAtMs);
    this.deps.onOpen?.(this);
  }

  /**
   * Starts serving a SEND and moves on to the next frame without waiting for it: a session's SENDs
   * run concurrently (one connection is not limited to one Kafka round trip at a time). The send
   * service is called here, in frame order, and keeps the order of a session's messages to one
   * conversation (see MessageService.send). At `maxSendsInFlight` the socket is not read until one
   * finishes, so a fast client cannot take the node's memory. A token refresh is served in order.
   */
  private async startSend(frame: StompFrame<string>): Promise<void> {
    const destination = this.required(frame, 'destination');
    if (destination === REFRESH_DESTINATION) return this.refreshToken(frame);
    const running = this.serveSend(frame, destination).catch((error: unknown) =>
      this.handlingFailed(frame, error),
    );
    const inFlight = (this.sendsInFlight ??= new Set());
    inFlight.add(running);
    void running.then(() => inFlight.delete(running));
    if (inFlight.size < this.limits.maxSendsInFlight) return;
    this.deps.transport.pause?.();
    while (inFlight.size >= this.limits.maxSendsInFlight) await Promise.race(inFlight);
    if (this.state !== 'closed') this.deps.transport.resume?.();
  }

  /**
   * SEND to an application destination. A refusal keeps the connection; so does a failure to record
   * (Kafka unavailable), with advice to send again under the same messageId.
   */
  private async serveSend(frame: StompFrame<string>, destination: string): Promise<void> {
    // The log blocked or deleted the account: its sessions are being ended; nothing more is taken.
    if (this.deps.mayAct && !this.deps.mayAct(this.userId as string))
      return this.fail('ACCOUNT_DISABLED', frame, 'this account is no longer active');
    if (!this.deps.handleSend)
      return this.refuse(frame, 'UNKNOWN_DESTINATION', `nothing is served at ${quoted(destination)}`);
    try {
      await this.deps.handleSend({
        userId: this.userId as string,
        deviceId: this.deviceId as string,
        sessionId: this.id,
        destination,
        body: frame.body,
      });
    } catch (error) {
      if (error instanceof DomainError) return this.refuse(frame, error.code, error.message, error.details);
      if (error instanceof UnavailableError)
        return this.refuse(frame, error.code, error.message, { retryAfterMs: error.retryAfterMs });
      this.deps.logger?.error(
        { err: error, destination, session: this.id, messageId: messageIdOf(frame.body) },
        'SEND failed',
      );
      return this.refuse(
        frame,
        'UNAVAILABLE',
        'the request was not recorded (a service is unavailable); send it again, with the same messageId',
      );
    }
    this.receipt(frame);
  }

  /** Ends the session from the server's side (the account was blocked, the node is stopping). */
  kick(code: string, message: string): void {
    this.fail(code, undefined, message);
  }

  /**
   * The user lost the right to a conversation: its live feed ends here, and the client is told on
   * `/user/queue/errors` which subscription ended (STOMP has no server-side UNSUBSCRIBE).
   */
  endConversationFeed(conversationId: string): number {
    let ended = 0;
    for (const subscription of [...this.subscriptions.values()]) {
      const { target } = subscription;
      if (target.kind !== 'conversation' || target.conversationId !== conversationId) continue;
      this.unsubscribe(subscription.id);
      ended++;
      this.pushToQueue('errors', {
        code: 'SUBSCRIPTION_ENDED',
        message: `you are no longer a member of conversation ${conversationId}`,
        subscription: subscription.id,
        destination: subscription.destination,
      });
    }
    return ended;
  }

  /** `SEND /app/session.refresh` with a fresh token of the same user: the session lives on until it expires. */
  private async refreshToken(frame: StompFrame<string>): Promise<void> {
    const authorization = frame.headers.Authorization ?? frame.headers.authorization;
    let user: AuthenticatedUser;
    try {
      user = await this.deps.authenticate(bearerToken(authorization) ?? frame.headers.passcode);
    } catch (error) {
      if (error instanceof DomainError) return this.refuse(frame, error.code, error.message);
      throw error;
    }
    if (user.userId !== this.userId)
      return this.refuse(frame, 'INVALID_TOKEN', 'the token belongs to another user');
    this.expireAt(user.expiresAtMs);
    this.receipt(frame);
  }

  /** The session ends when its token expires (a refresh moves the end). */
  private expireAt(expiresAtMs: number | undefined): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (expiresAtMs === undefined || this.state !== 'connected') return;
    const delay = Math.max(0, expiresAtMs - Date.now());
    this.expiryTimer = setTimeout(
      () =>
        delay > MAX_TIMER_MS
          ? this.expireAt(expiresAtMs)
          : this.fail('TOKEN_EXPIRED', undefined, 'the token expired: connect again with a fresh one'),
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  private async subscribe(frame: StompFrame<string>): Promise<void> {
    const id = this.required(frame, 'id');
    const destination = this.required(frame, 'destination');
    if (this.subscriptions.has(id))
      throw new StompProtocolError(`subscription id ${quoted(id)} is already in use`);
    const ack = frame.headers.ack ?? 'auto';
    if (!(ACK_MODES as readonly string[]).includes(ack))
      throw new StompProtocolError(`invalid ack mode "${quoted(ack)}"`);
    const target = parseSubscription(destination);
    if (target.kind === 'unknown')
      return this.refuse(frame, 'UNKNOWN_DESTINATION', `cannot subscribe to ${quoted(destination)}`);
    if (this.subscriptions.size >= this.limits.maxSubscriptions)
      return this.refuse(
        frame,
        'TOO_MANY_SUBSCRIPTIONS',
        `a session holds at most ${this.limits.maxSubscriptions} subscriptions`,
      );
    const isInbox = target.kind === 'user-queue' && target.queue === 'messages';
    if (isInbox && [...this.subscriptions.values()].some((s) => s.inbox))
      return this.refuse(frame, 'INBOX_ALREADY_SUBSCRIBED', 'a session subscribes to its inbox once');
    if (
      target.kind === 'conversation' &&
      (!(await this.deps.isMember(target.conversationId, this.userId as string)) ||
        this.deps.wasRemoved?.(target.conversationId, this.userId as string) === true)
    ) {
      // The same answer as for a conversation that does not exist: non-members learn nothing.
      return this.refuse(frame, 'NOT_FOUND', `conversation ${target.conversationId} not found`);
    }
    // The socket closed while membership was checked: no feed may start for a closed session.
    if (this.state === 'closed') return;
    const ackMode = ack as Subscription['ack'];
    let inbox: InboxFeed | undefined;
    let fromPosition: number | undefined;
    if (isInbox && this.deps.openInbox) {
      const from = frame.headers['from-position'];
      if (from !== undefined) {
        if (!/^\d{1,15}$/.test(from))
          return this.refuse(frame, 'INVALID_POSITION', 'from-position must be a non-negative integer');
        fromPosition = Number(from);
      }
      inbox = this.openInboxFeed(id, destination, ackMode);
    }
    const feed =
      target.kind === 'conversation' ? this.watchFeed(id, destination, target.conversationId) : undefined;
    const stopFeed = feed?.stop;
    this.subscriptions.set(id, {
      id,
      destination,
      target,
      ack: ackMode,
      ...(inbox ? { inbox } : {}),
      ...(stopFeed ? { stopFeed } : {}),
    });
    // The RECEIPT says the feed is live: whatever is published to it after the client sees it arrives.
    if (feed) await liveReady(feed);
    this.receipt(frame);
    // The replay runs beside the session's later frames (ACKs must get through while it runs).
    inbox?.start(fromPosition).catch((error: unknown) => {
      this.deps.logger?.error({ err: error, session: this.id }, 'inbox replay failed');
      // The failed subscription is dropped (its feed stopped), so the client can subscribe again.
      if (this.subscriptions.get(id)?.inbox === inbox) this.unsubscribe(id);
      this.refuse(frame, 'UNAVAILABLE', 'your inbox could not be read; subscribe again');
    });
  }

  // The callbacks a subscription keeps for its whole life are made here, apart from `subscribe`,
  // so that they do not keep the SUBSCRIBE frame alive with them.
  private openInboxFeed(id: string, destination: string, ackMode: Subscription['ack']): InboxFeed {
    if (!this.deps.openInbox) throw new Error('no inbox to open');
    return this.deps.openInbox({
      userId: this.userId as string,
      deviceId: this.deviceId as string,
      autoAck: ackMode === 'auto',
      push: (position, body) => this.pushInboxItem(id, destination, ackMode, position, body),
      ready: () => this.outboundReady(),
    });
  }

  private watchFeed(id: string, destination: string, conversationId: string): LiveWatch | undefined {
    const feed = this.deps.watchConversation?.(conversationId, (body) => {
      // A notice already on its way when the feed ended is not delivered.
      if (feed && this.subscriptions.get(id)?.stopFeed === feed.stop)
        this.message(id, destination, body, {}, 'live');
    });
    return feed;
  }

  private unsubscribe(id: string): void {
    const subscription = this.subscriptions.get(id);
    subscription?.inbox?.stop();
    subscription?.stopFeed?.();
    this.subscriptions.delete(id);
  }

  /**
   * A JSON MESSAGE frame for one subscription (user queues, inbox items, live feeds without ACK);
   * `headers` may replace the message-id.
   */
  private message(
    subscription: string,
    destination: string,
    body: unknown,
    headers: Record<string, string> = {},
    delivery: Delivery = 'required',
  ): void {
    this.write(
      {
        command: 'MESSAGE',
        headers: {
          destination,
          subscription,
          'message-id': randomUUID(),
          'content-type': 'application/json',
          ...headers,
        },
        body: Buffer.from(JSON.stringify(body)),
      },
      delivery,
    );
  }

  /** ACK/NACK: `id` is the `ack` header of a MESSAGE (here, the inbox position). */
  private acknowledge(frame: StompFrame<string>): void {
    const id = this.required(frame, 'id');
    if (!/^\d{1,15}$/.test(id)) return; // not one of ours: nothing to acknowledge
    const position = Number(id);
    for (const subscription of this.subscriptions.values()) {
      const { inbox } = subscription;
      if (!inbox) continue;
      if (frame.command === 'NACK') inbox.nack(position);
      else if (subscription.ack === 'client') inbox.ackUpTo(position);
      else inbox.ack(position);
    }
  }

  private pushInboxItem(
    subscription: string,
    destination: string,
    ackMode: Subscription['ack'],
    position: number,
    body: unknown,
  ): void {
    this.message(subscription, destination, body, {
      'message-id': `inbox-${position}`,
      ...(ackMode === 'auto' ? {} : { ack: String(position) }),
      'inbox-position': String(position),
    });
  }

  /** A well-formed request that is refused: answered on /user/queue/errors, the connection stays. */
  private refuse(
    frame: StompFrame<string>,
    code: string,
    message: string,
    details?: Readonly<Record<string, unknown>>,
  ): void {
    const receiptId = frame.headers.receipt;
    const messageId = frame.command === 'SEND' ? messageIdOf(frame.body) : undefined;
    this.pushToQueue('errors', {
      code,
      message,
      ...(receiptId ? { receiptId } : {}),
      ...(messageId ? { messageId } : {}),
      ...(details?.retryAfterMs !== undefined ? { retryAfterMs: details.retryAfterMs } : {}),
    });
  }

  /** Sends a JSON body to every subscription of one of the user's queues. */
  pushToQueue(
    queue: string,
    body: unknown,
    headers: Record<string, string> = {},
    delivery: Delivery = 'required',
  ): void {
    // What other nodes and the log tell on the errors queue (a feed ended) is never dropped.
    const how = queue === 'errors' ? 'required' : delivery;
    for (const subscription of this.subscriptions.values()) {
      if (subscription.target.kind !== 'user-queue' || subscription.target.queue !== queue) continue;
      this.message(subscription.id, subscription.destination, body, headers, how);
    }
  }

  private required(frame: StompFrame<string>, header: string): string {
    const value = frame.headers[header];
    if (value === undefined || value === '')
      throw new StompProtocolError(`${frame.command} needs a "${header}" header`);
    return value;
  }

  private receipt(frame: StompFrame<string>): void {
    const receiptId = frame.headers.receipt;
    if (receiptId !== undefined)
      this.write({ command: 'RECEIPT', headers: { 'receipt-id': receiptId }, body: Buffer.alloc(0) });
  }

  private startHeartBeats(outgoingMs: number, incomingMs: number): void {
    if (outgoingMs > 0) {
      this.timers.push(
        setInterval(() => {
          if (Date.now() - this.lastSent >= outgoingMs * 0.9) this.send(HEARTBEAT.toString());
        }, outgoingMs / 2),
      );
    }
    if (incomingMs > 0) {
      // Twice the agreed interval of silence: the client is gone.
      this.timers.push(
        setInterval(() => {
          if (Date.now() - this.lastReceived > 2 * incomingMs) {
            this.deps.logger?.info({ session: this.id, user: this.userId }, 'closing a silent session');
            this.close();
          }
        }, incomingMs / 2),
      );
    }
  }

  private outboundReady(): Promise<void> | undefined {
    const half = this.limits.maxBufferedBytes / 2;
    const free = () => this.state === 'closed' || (this.deps.transport.buffered?.() ?? 0) < half;
    if (free()) return undefined;
    // One poll for everyone waiting: the socket says nothing when its buffer empties through ws.
    return (this.roomAwaited ??= new Promise((resolve) => {
      const poll = setInterval(() => {
        if (!free()) return;
        clearInterval(poll);
        this.roomAwaited = undefined;
        resolve();
      }, OUTBOUND_POLL_MS);
    }));
  }

  private write(frame: StompFrame<string>, delivery: Delivery = 'required'): void {
    this.send(encodeFrame(frame), delivery);
  }

  /**
   * A frame is written while fewer than `maxBufferedBytes` wait in the socket's buffer, so what the
   * node holds for one socket stays under that plus one frame and the ERROR that ends it. The inbox
   * waits at half of it (`ready`), so only a reader that stalls gets there.
   */
  private send(data: Buffer | string, delivery: Delivery = 'required'): void {
    if (this.state === 'closed') return;
    if (delivery !== 'last' && (this.deps.transport.buffered?.() ?? 0) >= this.limits.maxBufferedBytes) {
      if (delivery === 'live') return;
      this.deps.logger?.warn(
        { session: this.id, user: this.userId, buffered: this.deps.transport.buffered?.() },
        'closing a session that stopped reading',
      );
      return this.fail(
        'SLOW_CONSUMER',
        undefined,
        `more than ${this.limits.maxBufferedBytes} bytes waited for this connection to read them; ` +
          'the session is closed. Inbox items not ACKed are delivered again on the next connection; ' +
          'live notices (feeds, typing, receipts) that did not fit were dropped.',
      );
    }
    this.lastSent = Date.now();
    this.deps.transport.send(data);
  }

  /** ERROR, then close (STOMP 1.2: the server closes after an ERROR frame). */
  private fail(message: string, frame?: StompFrame<string>, detail?: string): void {
    if (this.state === 'closed') return;
    const receiptId = frame?.headers.receipt;
    this.write(
      {
        command: 'ERROR',
        headers: {
          message: message.slice(0, 200),
          'content-type': 'text/plain',
          ...(receiptId ? { 'receipt-id': receiptId } : {}),
        },
        body: Buffer.from(detail ?? message),
      },
      'last',
    );
    this.close();
  }

  private close(): void {
    if (this.state === 'closed') return;
    this.deps.transport.close();
    this.closed();
  }
}

/** A client's value in an answer: at most 100 characters, so a refusal never echoes a whole frame back. */
function quoted(value: string): string {
  return value.length <= 100 ? value : `${value.slice(0, 100)}…`;
}

/** The messageId of a SEND body, if it has one, so a client can match a refusal to its message. */
function messageIdOf(body: Buffer): string | undefined {
  if (body.length === 0 || body.length > 64 * 1024) return undefined;
  try {
    const value = (JSON.parse(body.toString('utf8')) as { messageId?: unknown } | null)?.messageId;
    return typeof value === 'string' && value.length <= 64 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves when the watch is live, or after LIVE_READY_TIMEOUT_MS (a failed subscription is logged where it is made). */
function liveReady(watch: LiveWatch): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, LIVE_READY_TIMEOUT_MS);
  });
  return Promise.race([watch.ready, bound]).finally(() => clearTimeout(timer));
}
