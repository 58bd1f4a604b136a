import { v4 as uuidv4 } from 'uuid';
import { Accounts, storageTokenStore, type TokenRenewer, type TokenStore } from './accounts';
import { backoffDelay, type BackoffPolicy } from './backoff';
import {
  applyEdit,
  applyMessageToSummaries,
  applyReadToSummaries,
  applyReceiptTo,
  countUnread,
  markDeleted,
  mergeMessages,
  messageFromWire,
  replaceSummaries,
  summaryFromWire,
  updateLastMessage,
  updateMessage,
  withoutMessage,
  withoutSummary,
  type ChatMessage,
  type ConversationSummary,
} from './chat-state';
import { ConnectionManager, type ConnectionStatus } from './connection-manager';
import { directConversationId } from './direct-id';
import { isTransient, ParleyError } from './errors';
import { HttpApi, type FetchLike } from './http-api';
import { InboxCursor, type InboxCursorState } from './inbox-cursor';
import { Outbox, type OutboxOptions } from './outbox';
import type { OutboxEntry } from './outbox-plan';
import {
  CLIENT_ID_PATTERN,
  DESTINATIONS,
  type EditAnswer,
  type InboxItem,
  type Presence,
  type Session,
  type UserProfile,
  type WireEdit,
  type WireMessage,
  type WireReceipt,
  type WireRefusal,
  type WireTyping,
} from './protocol';
import { MemoryStorage, type ClientStorage } from './storage';
import { WritableStore, type ReadableStore } from './store';
import { StompTransport, type WebSocketFactory } from './stomp-transport';
import type { Connection, InboundMessage, Transport } from './transport';
import {
  addTypist,
  expireTypists,
  mayNotifyTyping,
  removeTypist,
  TYPING_SEND_INTERVAL_MS,
  TYPING_SHOWN_MS,
  type TypingState,
} from './typing';
import { UserNames, type UserDirectory } from './user-names';

export interface ParleyClientOptions {
  /** The gateway's HTTP address, e.g. `https://chat.example.com` or `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** The STOMP endpoint (default: `baseUrl` with `ws:`/`wss:` and the path `/ws`). */
  readonly wsUrl?: string;
  /**
   * Where the outbox, device id, inbox position and session are kept: `IndexedDbStorage` in
   * browsers, `JsonFileStorage` in Node (`@parley/client/node`). Default: memory (nothing survives).
   */
  readonly storage?: ClientStorage;
  /** Where the session is kept (default: in `storage`, under `session`). */
  readonly tokenStore?: TokenStore;
  /** How to get a fresh token before the current one expires (see {@link TokenRenewer}). */
  readonly renewToken?: TokenRenewer;
  /** Renew this long before expiry (default 10 minutes). */
  readonly renewBeforeMs?: number;
  /** Node 20 has no global WebSocket: pass `nodeWebSocketFactory` from `@parley/client/node`. */
  readonly webSocketFactory?: WebSocketFactory;
  /** Replaces the STOMP transport (tests). */
  readonly transport?: Transport;
  readonly fetch?: FetchLike;
  /** Heart-beats both ways in ms (default 10 s). */
  readonly heartbeatMs?: number;
  readonly reconnectBackoff?: BackoffPolicy;
  readonly outbox?: Pick<OutboxOptions, 'maxInFlight' | 'receiptTimeoutMs' | 'backoff'>;
  /** Overrides the device id kept in storage. */
  readonly deviceId?: string;
  /** Most messages one `gap` backfill reads through history (default 5,000). */
  readonly gapBackfillLimit?: number;
  /** The source of jitter (default `Math.random`; tests pin it). */
  readonly random?: () => number;
  /** Connect as soon as a session exists (restored, registered or logged in). Default true. */
  readonly autoConnect?: boolean;
}

/** One conversation's messages as loaded so far. */
export interface ConversationView {
  readonly conversationId: string;
  /** Ascending `seq`; messages still in the outbox at the end. */
  readonly messages: readonly ChatMessage[];
  /** Older messages exist that are not loaded (undefined until the first page came). */
  readonly hasOlder: boolean | undefined;
  readonly loading: boolean;
  /** The last history call's error, if it failed. */
  readonly error?: ParleyError;
  /** The user is no longer a member (removed from the group, or left): nothing more comes. */
  readonly removed?: boolean;
}

/** A message to send: to a conversation, or directly to a user. */
export type Draft =
  | {
      readonly conversationId: string;
      readonly recipientId?: never;
      readonly text: string;
      readonly messageId?: string;
    }
  | {
      readonly recipientId: string;
      readonly conversationId?: never;
      readonly text: string;
      readonly messageId?: string;
    };

/** An inbox item the app is told of before it is ACKed. */
export type InboxEvent =
  | { readonly kind: 'message'; readonly message: ChatMessage }
  | { readonly kind: 'deleted'; readonly messageId: string; readonly conversationId: string }
  | ({ readonly kind: 'edited' } & WireEdit);

const DEVICE_KEY = 'device-id';

/** An edit is tried this often when no answer came or the server was unavailable (same editId). */
const EDIT_ATTEMPTS = 4;
const EDIT_RETRY_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 4_000 };
const CURSOR_KEY = 'inbox/cursor';

/**
 * The Parley client: accounts, one STOMP connection kept up, the persisted outbox, the inbox with
 * resume and ACKs, and the chat state as observable stores.
 *
 * ```ts
 * const client = new ParleyClient({ baseUrl: 'https://chat.example.com', storage: new IndexedDbStorage() });
 * await client.start();
 * if (!client.session.getSnapshot()) await client.login('ada', 'correct horse');
 * client.send({ recipientId: bob, text: 'Hello' });
 * ```
 */
export class ParleyClient {
  readonly http: HttpApi;
  readonly accounts: Accounts;
  private readonly storage: ClientStorage;
  private readonly connectionManager: ConnectionManager;
  private readonly outboxQueue: Outbox;
  private cursor = new InboxCursor();
  private deviceIdValue: string | undefined;
  private readonly summaries = new WritableStore<readonly ConversationSummary[]>([]);
  private readonly views = new Map<string, WritableStore<ConversationView>>();
  private readonly typingStore = new WritableStore<TypingState>({});
  private readonly presenceStore = new WritableStore<Readonly<Record<string, Presence>>>({});
  private readonly names: UserNames;
  private readonly inboxListeners = new Set<(event: InboxEvent) => void | Promise<void>>();
  private readonly refusalListeners = new Set<(refusal: WireRefusal) => void>();
  private inboxChain: Promise<void> = Promise.resolve();
  private cursorWrite: Promise<void> | undefined;
  private cursorDirty = false;
  private readonly pendingReads = new Map<string, number>();
  private readonly readsInFlight = new Map<string, { conversationId: string; seq: number }>();
  private readRetry: ReturnType<typeof setTimeout> | undefined;
  private readonly typingSentAt = new Map<string, number>();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private started: Promise<void> | undefined;
  private closed = false;
  /** Conversations whose live feed is watched (a screen shows them), with how many watch each. */
  private readonly watched = new Map<string, number>();
  private readonly feeds = new Map<string, () => void>();
  private listRefresh: Promise<void> | undefined;

  constructor(private readonly options: ParleyClientOptions) {
    this.storage = options.storage ?? new MemoryStorage();
    this.http = new HttpApi({
      baseUrl: options.baseUrl,
      token: () => this.accounts.token(),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.names = new UserNames((userId) => this.http.user(userId));
    this.accounts = new Accounts(this.http, options.tokenStore ?? storageTokenStore(this.storage), {
      ...(options.renewToken ? { renew: options.renewToken } : {}),
      ...(options.renewBeforeMs !== undefined ? { renewBeforeMs: options.renewBeforeMs } : {}),
    });
    const transport =
      options.transport ??
      new StompTransport({
        url: options.wsUrl ?? webSocketUrl(options.baseUrl),
        ...(options.webSocketFactory ? { webSocketFactory: options.webSocketFactory } : {}),
        ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      });
    this.connectionManager = new ConnectionManager(transport, {
      headers: () => this.connectHeaders(),
      renewToken: async () => {
        await this.accounts.renewNow();
      },
      ...(options.reconnectBackoff ? { backoff: options.reconnectBackoff } : {}),
      ...(options.random ? { random: options.random } : {}),
      onOnline: (connection) => this.online(connection),
      onOffline: () => this.offline(),
    });
    this.outboxQueue = new Outbox(this.storage, {
      ...options.outbox,
      ...(options.random ? { random: options.random } : {}),
      onSent: (entry) => this.sent(entry),
      onFailed: (entry) => this.failedForGood(entry),
    });
    this.accounts.onRenewed((session) => {
      // The live session gets the fresh token; later connections read it from the accounts.
      this.connectionManager.current?.send(DESTINATIONS.refresh, '', {
        Authorization: `Bearer ${session.token}`,
      });
    });
  }

  // ---- life ----------------------------------------------------------------------------------

  /**
   * Loads what storage kept (device id, outbox, inbox position, session) and, when a session was
   * kept, connects. Call once; the other calls wait for it.
   */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.deviceIdValue = this.options.deviceId ?? (await this.storage.get<string>(DEVICE_KEY));
      if (!this.deviceIdValue) {
        this.deviceIdValue = uuidv4();
        await this.storage.set(DEVICE_KEY, this.deviceIdValue);
      }
      if (!CLIENT_ID_PATTERN.test(this.deviceIdValue))
        throw new ParleyError(
          'INVALID_ID',
          `device id ${this.deviceIdValue} breaks the id pattern`,
          'client',
        );
      this.cursor = new InboxCursor((await this.storage.get<InboxCursorState>(CURSOR_KEY)) ?? {});
      await this.outboxQueue.load();
      const session = await this.accounts.restore();
      if (session) this.signedIn(session);
    })();
    return this.started;
  }

  /** Ends the connection and timers; storage keeps everything for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.connectionManager.stop('closed');
    this.outboxQueue.close();
    this.accounts.close();
    if (this.readRetry) clearTimeout(this.readRetry);
    if (this.typingTimer) clearTimeout(this.typingTimer);
    await this.inboxChain.catch(() => undefined);
    await this.writeCursor();
  }

  /** This installation's device id (kept in storage), once started. */
  get deviceId(): string | undefined {
    return this.deviceIdValue;
  }

  // ---- accounts ------------------------------------------------------------------------------

  get session(): ReadableStore<Session | undefined> {
    return this.accounts.session;
  }

  async register(username: string, password: string, displayName?: string): Promise<Session> {
    await this.start();
    const session = await this.accounts.register(username, password, displayName);
    this.signedIn(session);
    return session;
  }

  async login(
    username: string,
    password: string,
    options: { keepForRenewal?: boolean } = {},
  ): Promise<Session> {
    await this.start();
    const session = await this.accounts.login(username, password, options);
    this.signedIn(session);
    return session;
  }

  /** Signs out: the connection ends and the kept session is forgotten (the outbox stays). */
  async signOut(): Promise<void> {
    this.connectionManager.stop('idle');
    this.names.clear();
    await this.accounts.signOut();
  }

  private selfId(): string {
    const session = this.accounts.session.getSnapshot();
    if (!session) throw new ParleyError('NOT_SIGNED_IN', 'sign in first', 'client');
    return session.userId;
  }

  private signedIn(_session: Session): void {
    if (this.options.autoConnect !== false) this.connect();
  }

  // ---- connection ----------------------------------------------------------------------------

  /** The connection's state: `connecting`, `online`, `offline` (with `retryAt`), `refused`, ... */
  get connection(): ReadableStore<ConnectionStatus> {
    return this.connectionManager.status;
  }

  /** Connects (and keeps reconnecting) with the current session. */
  connect(): void {
    if (this.closed) return;
    this.connectionManager.start();
  }

  /** Tries at once instead of waiting out the backoff (e.g. when the browser says it is online). */
  reconnectNow(): void {
    this.connectionManager.reconnectNow();
  }

  /**
   * The app knows the network is gone (a browser's `offline` event): the connection counts as lost
   * at once (state `offline`) instead of once heart-beats miss; call `reconnectNow()` when it is back.
   */
  connectionLost(): void {
    this.connectionManager.connectionLost();
  }

  /** Ends the connection without signing out. */
  disconnect(): void {
    this.connectionManager.stop('idle');
  }

  private async connectHeaders(): Promise<Record<string, string>> {
    let session = this.accounts.session.getSnapshot();
    if (!session) throw new ParleyError('NOT_SIGNED_IN', 'sign in first', 'client');
    if (Date.parse(session.expiresAt) - Date.now() < 60_000) {
      session = await this.accounts.renewNow().catch(() => session!);
    }
    return {
      Authorization: `Bearer ${session.token}`,
      'device-id': this.deviceIdValue!,
    };
  }

  private online(connection: Connection): void {
    // Errors first: a refusal reaches only subscriptions in place (PROTOCOL §3.3).
    connection.subscribe(DESTINATIONS.errors, (m) => this.handleRefusal(parse<WireRefusal>(m.body)));
    connection.subscribe(DESTINATIONS.receipts, (m) => this.onReceipt(parse<WireReceipt>(m.body)));
    connection.subscribe(DESTINATIONS.presence, (m) => this.onPresence(parse<Presence>(m.body)));
    connection.subscribe(DESTINATIONS.typingQueue, (m) => this.onTyping(parse<WireTyping>(m.body)));
    const position = this.cursor.position;
    connection.subscribe(DESTINATIONS.inbox, (m) => this.onInboxFrame(m), {
      ack: 'client-individual',
      ...(position !== undefined ? { 'from-position': String(position) } : {}),
    });
    for (const conversationId of this.watched.keys()) this.subscribeFeed(connection, conversationId);
    this.outboxQueue.attach(connection);
    this.flushReads();
    // Live notices are not kept (PROTOCOL §3.5): what changed while away is read over HTTP.
    void this.refreshConversations().catch(() => undefined);
    for (const conversationId of this.views.keys())
      void this.conversation(conversationId)
        .refresh()
        .catch(() => undefined);
  }

  private offline(): void {
    this.outboxQueue.detach();
    this.readsInFlight.clear();
    this.feeds.clear();
  }

  // ---- sending -------------------------------------------------------------------------------

  /** The outbox: messages not yet recorded by Parley, and failed ones not discarded. */
  get outbox(): ReadableStore<readonly OutboxEntry[]> {
    return this.outboxQueue.entries;
  }

  /**
   * Sends a message: it goes to the persisted outbox first, gets its `messageId` there, shows at
   * once in its conversation as `sending`, and is sent (and re-sent, with the same `messageId`) until
   * Parley records it or refuses it for good (`failed`, with `failure`). Resolves once it is stored.
   */
  async send(draft: Draft): Promise<ChatMessage> {
    await this.start();
    const selfId = this.selfId();
    const messageId = draft.messageId ?? uuidv4();
    const conversationId =
      draft.recipientId !== undefined
        ? directConversationId(selfId, draft.recipientId)
        : draft.conversationId;
    const message: ChatMessage = {
      messageId,
      conversationId,
      senderId: selfId,
      text: draft.text,
      own: true,
      status: 'sending',
    };
    this.showMessages(
      conversationId,
      [message],
      draft.recipientId !== undefined ? [selfId, draft.recipientId] : undefined,
    );
    await this.outboxQueue.enqueue({
      messageId,
      conversationId,
      ...(draft.recipientId !== undefined ? { recipientId: draft.recipientId } : {}),
      text: draft.text,
    });
    return message;
  }

  /** Puts a failed message back in the outbox. */
  async retry(messageId: string): Promise<void> {
    const entry = this.outboxQueue.entries.getSnapshot().find((e) => e.messageId === messageId);
    if (!entry) return;
    this.viewStore(entry.conversationId).update((view) => ({
      ...view,
      messages: updateMessage(view.messages, messageId, (m) => {
        const { failure: _failure, ...rest } = m;
        return { ...rest, status: 'sending' };
      }),
    }));
    await this.outboxQueue.retry(messageId);
  }

  /** Drops a message from the outbox (and from its conversation) that Parley has not recorded. */
  async discard(messageId: string): Promise<void> {
    const entry = this.outboxQueue.entries.getSnapshot().find((e) => e.messageId === messageId);
    if (!entry) return;
    await this.outboxQueue.discard(messageId);
    this.viewStore(entry.conversationId).update((view) => ({
      ...view,
      messages: withoutMessage(view.messages, messageId),
    }));
  }

  private sent(entry: OutboxEntry): void {
    this.updateOwn(entry.conversationId, entry.messageId, (m) =>
      m.status === 'sending' ? { ...m, status: 'sent' } : m,
    );
  }

  private failedForGood(entry: OutboxEntry): void {
    this.updateOwn(entry.conversationId, entry.messageId, (m) => ({
      ...m,
      status: 'failed',
      ...(entry.failure ? { failure: entry.failure } : {}),
    }));
  }

  private updateOwn(
    conversationId: string,
    messageId: string,
    change: (m: ChatMessage) => ChatMessage,
  ): void {
    this.viewStore(conversationId).update((view) => ({
      ...view,
      messages: updateMessage(view.messages, messageId, change),
    }));
    this.summaries.update((list) =>
      updateLastMessage(list, conversationId, (m) => (m.messageId === messageId ? change(m) : m)),
    );
  }

  // ---- the inbox -----------------------------------------------------------------------------

  /**
   * Tells `listener` of each new inbox item (duplicates dropped). An item is ACKed once every
   * listener returned (or their promises resolved); a listener that throws gets it again later.
   */
  onInbox(listener: (event: InboxEvent) => void | Promise<void>): () => void {
    this.inboxListeners.add(listener);
    return () => this.inboxListeners.delete(listener);
  }

  private onInboxFrame(frame: InboundMessage): void {
    // One item at a time, in inbox order: positions are handled in the order they came.
    this.inboxChain = this.inboxChain.then(() => this.handleInboxItem(frame)).catch(() => frame.nack());
  }

  private async handleInboxItem(frame: InboundMessage): Promise<void> {
    const position = Number(frame.headers['inbox-position']);
    const item = parse<InboxItem>(frame.body);
    if (item.kind === 'gap') {
      await this.backfill();
      this.cursor.skipTo(item.toPosition);
    } else if (item.kind === 'message') {
      await this.receive(item);
      if (Number.isFinite(position)) this.cursor.handled(position);
    } else if (item.kind === 'edited') {
      const key = InboxCursor.keyOf('edited', item.messageId, item.editId);
      if (!this.cursor.hasSeen(key)) {
        const { kind: _kind, ...edit } = item;
        this.applyEditLocally(edit);
        await this.tell({ kind: 'edited', ...edit });
        this.cursor.remember(key);
      }
      if (Number.isFinite(position)) this.cursor.handled(position);
    } else if (item.kind === 'deleted') {
      const key = InboxCursor.keyOf('deleted', item.messageId);
      if (!this.cursor.hasSeen(key)) {
        this.applyDeletion(item.conversationId, item.messageId);
        await this.tell({ kind: 'deleted', messageId: item.messageId, conversationId: item.conversationId });
        this.cursor.remember(key);
      }
      if (Number.isFinite(position)) this.cursor.handled(position);
    } else if (Number.isFinite(position)) {
      // A kind this SDK does not know (PROTOCOL §7): nothing to show, but the position moves on.
      this.cursor.handled(position);
    }
    // ACKed once the cursor that covers it is stored, so a restart does not show it twice.
    void this.saveCursor().then(
      () => frame.ack(),
      () => frame.nack(),
    );
  }

  /** A message from another member, once: shown, told to the app, remembered. */
  private async receive(wire: WireMessage): Promise<void> {
    const key = InboxCursor.keyOf('message', wire.messageId);
    if (this.cursor.hasSeen(key)) return;
    const message = messageFromWire(wire, this.selfId());
    this.showMessages(message.conversationId, [message]);
    this.typingStore.update((state) => removeTypist(state, message.conversationId, message.senderId));
    await this.tell({ kind: 'message', message });
    this.cursor.remember(key, wire.sentAt);
  }

  private async tell(event: InboxEvent): Promise<void> {
    for (const listener of this.inboxListeners) await listener(event);
  }

  /**
   * A `gap`: the inbox lost items older than its retention (PROTOCOL §3.4). What other members sent
   * since the newest message this device handled is read through `GET /v1/messages?since=`.
   */
  private async backfill(): Promise<void> {
    const selfId = this.selfId();
    const limit = this.options.gapBackfillLimit ?? 5_000;
    const since = this.cursor.lastSentAt ?? new Date(0).toISOString();
    let cursor: string | undefined;
    let read = 0;
    do {
      const page = await this.http.messagesSince({ since, limit: 1_000, ...(cursor ? { cursor } : {}) });
      for (const message of page.messages) if (message.senderId !== selfId) await this.receive(message);
      read += page.messages.length;
      cursor = page.nextCursor;
    } while (cursor && read < limit);
    await this.refreshConversations().catch(() => undefined);
  }

  private saveCursor(): Promise<void> {
    this.cursorDirty = true;
    // Writes are chained, each taking the newest state: a burst of items costs a few writes.
    this.cursorWrite ??= (async () => {
      try {
        while (this.cursorDirty) {
          this.cursorDirty = false;
          await this.storage.set(CURSOR_KEY, this.cursor.toState());
        }
      } finally {
        this.cursorWrite = undefined;
      }
    })();
    return this.cursorWrite;
  }

  private async writeCursor(): Promise<void> {
    await this.cursorWrite?.catch(() => undefined);
    await this.storage.set(CURSOR_KEY, this.cursor.toState()).catch(() => undefined);
  }

  // ---- receipts, refusals, presence, typing --------------------------------------------------

  /** Refusals that are not about the outbox's sends or the reads (for logging, or to show). */
  onRefusal(listener: (refusal: WireRefusal) => void): () => void {
    this.refusalListeners.add(listener);
    return () => this.refusalListeners.delete(listener);
  }

  private handleRefusal(refusal: WireRefusal): void {
    if (this.outboxQueue.handleRefusal(refusal)) return;
    if (
      refusal.code === 'SUBSCRIPTION_ENDED' &&
      refusal.destination?.startsWith(DESTINATIONS.conversationFeed)
    ) {
      // Removed from the group, or left it on another device (PROTOCOL §3.8).
      this.forgetConversation(refusal.destination.slice(DESTINATIONS.conversationFeed.length));
    }
    const read = refusal.receiptId ? this.readsInFlight.get(refusal.receiptId) : undefined;
    if (read && refusal.receiptId) {
      this.readsInFlight.delete(refusal.receiptId);
      if (refusal.code === 'RATE_LIMITED' || refusal.code === 'UNAVAILABLE') {
        this.queueRead(read.conversationId, read.seq);
        if (this.readRetry) clearTimeout(this.readRetry);
        this.readRetry = setTimeout(() => this.flushReads(), refusal.retryAfterMs ?? 1_000);
      }
      return;
    }
    for (const listener of this.refusalListeners) listener(refusal);
  }

  private onReceipt(receipt: WireReceipt): void {
    const members = this.otherMembers(receipt.conversationId);
    const store = this.views.get(receipt.conversationId);
    store?.update((view) => ({ ...view, messages: applyReceiptTo(view.messages, receipt, members) }));
    this.summaries.update((list) =>
      updateLastMessage(list, receipt.conversationId, (m) =>
        m.messageId === receipt.messageId ? (applyReceiptTo([m], receipt, members)[0] ?? m) : m,
      ),
    );
  }

  private otherMembers(conversationId: string): string[] {
    const selfId = this.accounts.session.getSnapshot()?.userId;
    const summary = this.summaries.getSnapshot().find((c) => c.conversationId === conversationId);
    return (summary?.memberIds ?? []).filter((id) => id !== selfId);
  }

  /** Presence of users who share a conversation with this one, as notices and lookups told it. */
  get presence(): ReadableStore<Readonly<Record<string, Presence>>> {
    return this.presenceStore;
  }

  /** Looks a user's presence up (and keeps it in `presence`). */
  async fetchPresence(userId: string): Promise<Presence> {
    const presence = await this.http.presence(userId);
    this.onPresence(presence);
    return presence;
  }

  private onPresence(presence: Presence): void {
    this.presenceStore.update((all) => ({ ...all, [presence.userId]: presence }));
  }

  /**
   * The users whose names are known, by id: those looked up with `needUsers` or `findUser`.
   * `displayNameOf(users, id)` says what to call one.
   */
  get users(): ReadableStore<UserDirectory> {
    return this.names.users;
  }

  /**
   * Looks up (in the background, once each) the users among these ids whose names are not known
   * yet: the senders, members and typists a screen shows. `users` changes as the answers come.
   */
  needUsers(userIds: Iterable<string>): void {
    this.names.need(userIds);
  }

  /** The user with exactly this username (kept in `users`); `404 NOT_FOUND` when there is none. */
  async findUser(username: string): Promise<UserProfile> {
    const profile = await this.http.findUser(username);
    this.names.remember(profile);
    return profile;
  }

  /** Who is typing, by conversation (entries run out a few seconds after the last notice). */
  get typing(): ReadableStore<TypingState> {
    return this.typingStore;
  }

  /** "I am typing" in a conversation; call it on every key press, it is throttled. */
  notifyTyping(conversationId: string): void {
    const now = Date.now();
    if (!mayNotifyTyping(this.typingSentAt.get(conversationId), now, TYPING_SEND_INTERVAL_MS)) return;
    const connection = this.connectionManager.current;
    if (!connection) return;
    this.typingSentAt.set(conversationId, now);
    connection.send(DESTINATIONS.typing, JSON.stringify({ conversationId }));
  }

  private onTyping(typing: WireTyping): void {
    this.typingStore.update((state) =>
      addTypist(state, typing.conversationId, typing.userId, Date.now() + TYPING_SHOWN_MS),
    );
    if (this.typingTimer) return;
    const sweep = () => {
      this.typingStore.update((state) => expireTypists(state, Date.now()));
      this.typingTimer =
        Object.keys(this.typingStore.getSnapshot()).length > 0 ? setTimeout(sweep, 1_000) : undefined;
    };
    this.typingTimer = setTimeout(sweep, 1_000);
  }

  // ---- reads and deletions -------------------------------------------------------------------

  /**
   * Marks a conversation read up to `seq` (default: its newest loaded message). The unread count
   * follows at once; the read goes over STOMP when online (only the highest per conversation, so a
   * burst of calls costs one read), and again after a rate limit or a reconnect.
   */
  markRead(conversationId: string, seq?: number): void {
    const view = this.viewStore(conversationId).getSnapshot();
    const upTo =
      seq ??
      view.messages.reduce<number | undefined>(
        (max, m) => (m.seq !== undefined && (max === undefined || m.seq > max) ? m.seq : max),
        undefined,
      );
    if (upTo === undefined) return;
    this.summaries.update((list) =>
      applyReadToSummaries(list, conversationId, upTo, countUnread(view.messages, upTo)),
    );
    this.queueRead(conversationId, upTo);
    this.flushReads();
  }

  private queueRead(conversationId: string, seq: number): void {
    this.pendingReads.set(conversationId, Math.max(seq, this.pendingReads.get(conversationId) ?? -1));
  }

  private flushReads(): void {
    const connection = this.connectionManager.current;
    if (!connection) return;
    for (const [conversationId, seq] of this.pendingReads) {
      this.pendingReads.delete(conversationId);
      const receiptId = `read:${conversationId}:${seq}:${uuidv4()}`;
      this.readsInFlight.set(receiptId, { conversationId, seq });
      connection.sendWithReceipt(DESTINATIONS.read, JSON.stringify({ conversationId, seq }), receiptId, () =>
        this.readsInFlight.delete(receiptId),
      );
    }
  }

  /**
   * Deletes a message: `me` hides it from this user (any message), `everyone` erases its text for
   * all members (own messages only, PROTOCOL §2.7).
   */
  async deleteMessage(conversationId: string, messageId: string, scope: 'me' | 'everyone'): Promise<void> {
    await this.http.setMessageStatus(
      messageId,
      scope === 'me' ? 'deleted_for_sender' : 'deleted_for_everybody',
    );
    if (scope === 'everyone') this.applyDeletion(conversationId, messageId);
    else {
      this.viewStore(conversationId).update((view) => ({
        ...view,
        messages: withoutMessage(view.messages, messageId),
      }));
      const remaining = this.viewStore(conversationId).getSnapshot().messages;
      this.summaries.update((list) =>
        updateLastMessage(list, conversationId, (m) =>
          m.messageId === messageId ? remaining[remaining.length - 1] : m,
        ),
      );
    }
  }

  /**
   * Edits one of this user's messages (PROTOCOL §2.7): the sender only, within the server's edit
   * window (24 h by default), not once deleted for everybody. The message shows the new text and
   * `editedAt` once Parley has recorded the edit. Every attempt carries the same `editId` (one is made
   * when none is given), so the SDK tries again safely when no answer came or the server was
   * unavailable: the edit counts once. Refusals (`NOT_SENDER`, `EDIT_WINDOW_CLOSED`,
   * `MESSAGE_DELETED`, `TEXT_TOO_LONG`, ...) reject with a {@link ParleyError}.
   */
  async editMessage(
    conversationId: string,
    messageId: string,
    text: string,
    options: { readonly editId?: string } = {},
  ): Promise<EditAnswer> {
    const editId = options.editId ?? uuidv4();
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.http.editMessage(messageId, { text, editId });
        this.applyEditLocally({ ...answer, conversationId, text });
        return answer;
      } catch (error) {
        if (
          !(error instanceof ParleyError) ||
          !isTransient(error.code) ||
          attempt + 1 >= EDIT_ATTEMPTS ||
          this.closed
        )
          throw error;
        const wait = error.retryAfterMs ?? backoffDelay(attempt, EDIT_RETRY_BACKOFF, this.options.random);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** An edit shown where the message is: its conversation and, when it is the last, the list. */
  private applyEditLocally(edit: WireEdit): void {
    this.viewStore(edit.conversationId).update((view) => ({
      ...view,
      messages: updateMessage(view.messages, edit.messageId, (m) => applyEdit(m, edit)),
    }));
    this.summaries.update((list) =>
      updateLastMessage(list, edit.conversationId, (m) =>
        m.messageId === edit.messageId ? applyEdit(m, edit) : m,
      ),
    );
  }

  private applyDeletion(conversationId: string, messageId: string): void {
    this.viewStore(conversationId).update((view) => ({
      ...view,
      messages: markDeleted(view.messages, messageId),
    }));
    this.summaries.update((list) =>
      updateLastMessage(list, conversationId, (m) =>
        m.messageId === messageId ? { ...m, deleted: true, text: '' } : m,
      ),
    );
  }

  // ---- conversations, history, groups --------------------------------------------------------

  /** The conversation list: newest activity first, with last message and unread count. */
  get conversations(): ReadableStore<readonly ConversationSummary[]> {
    return this.summaries;
  }

  /** Loads the whole conversation list (every page) from the server. */
  async refreshConversations(): Promise<void> {
    const selfId = this.selfId();
    const fresh: ConversationSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.http.conversations({ limit: 500, ...(cursor ? { cursor } : {}) });
      fresh.push(...page.conversations.map((c) => summaryFromWire(c, selfId)));
      cursor = page.nextCursor;
    } while (cursor);
    this.summaries.update((current) => replaceSummaries(current, fresh));
  }

  /** A conversation: its messages as an observable view, its history pages, and what to do in it. */
  conversation(conversationId: string) {
    const store = this.viewStore(conversationId);
    const load = async (query: { beforeSeq?: number }) => {
      store.update((view) => ({ ...view, loading: true }));
      try {
        const page = await this.http.history(conversationId, { limit: 50, ...query });
        const selfId = this.selfId();
        store.update((view) => {
          const { error: _error, ...rest } = view;
          return {
            ...rest,
            messages: mergeMessages(
              view.messages,
              page.messages.map((m) => messageFromWire(m, selfId)),
            ),
            hasOlder:
              query.beforeSeq === undefined && view.hasOlder === false
                ? false
                : page.nextCursor !== undefined,
            loading: false,
          };
        });
      } catch (error) {
        // A group the list held answers 404: the user is no longer a member (PROTOCOL §2). A direct
        // conversation's members never change; one answering 404 has no message yet, and is kept.
        if (
          error instanceof ParleyError &&
          error.code === 'NOT_FOUND' &&
          this.summaries.getSnapshot().some((c) => c.conversationId === conversationId && c.kind === 'group')
        )
          this.forgetConversation(conversationId);
        store.update((view) => ({
          ...view,
          loading: false,
          error:
            error instanceof ParleyError ? error : new ParleyError('BAD_ANSWER', String(error), 'client'),
        }));
        throw error;
      }
    };
    return {
      view: store as ReadableStore<ConversationView>,
      /** Loads the newest page (and the current statuses of the messages on it). */
      refresh: () => load({}),
      /** Loads the page before the oldest loaded message. */
      loadOlder: () => {
        const oldest = store.getSnapshot().messages.find((m) => m.seq !== undefined)?.seq;
        return load(oldest === undefined ? {} : { beforeSeq: oldest });
      },
      send: (text: string, messageId?: string) =>
        this.send({ conversationId, text, ...(messageId ? { messageId } : {}) }),
      markRead: (seq?: number) => this.markRead(conversationId, seq),
      notifyTyping: () => this.notifyTyping(conversationId),
      /** Watches the conversation's live feed while a screen shows it (see {@link ParleyClient.watch}). */
      watch: () => this.watch(conversationId),
    };
  }

  /**
   * Watches a conversation's live feed (`/topic/conversation.{id}`) until the returned function is
   * called, across reconnects. Its one use here: a member removed from a group learns it at once
   * (the feed ends with `SUBSCRIPTION_ENDED`), and the conversation leaves the list with its view
   * `removed`. Everything else the feed tells comes through the inbox and the user queues.
   */
  watch(conversationId: string): () => void {
    this.watched.set(conversationId, (this.watched.get(conversationId) ?? 0) + 1);
    const connection = this.connectionManager.current;
    if (connection && !this.feeds.has(conversationId)) this.subscribeFeed(connection, conversationId);
    let watching = true;
    return () => {
      if (!watching) return;
      watching = false;
      const count = (this.watched.get(conversationId) ?? 1) - 1;
      if (count > 0) {
        this.watched.set(conversationId, count);
        return;
      }
      this.watched.delete(conversationId);
      this.feeds.get(conversationId)?.();
      this.feeds.delete(conversationId);
    };
  }

  private subscribeFeed(connection: Connection, conversationId: string): void {
    this.feeds.set(
      conversationId,
      connection.subscribe(`${DESTINATIONS.conversationFeed}${conversationId}`, () => undefined),
    );
  }

  /** The user lost a conversation: it leaves the list, its view says so, its feed is dropped. */
  private forgetConversation(conversationId: string): void {
    this.summaries.update((list) => withoutSummary(list, conversationId));
    this.views.get(conversationId)?.update((view) => ({ ...view, removed: true, loading: false }));
    this.feeds.delete(conversationId);
  }

  private viewStore(conversationId: string): WritableStore<ConversationView> {
    let store = this.views.get(conversationId);
    if (!store) {
      store = new WritableStore<ConversationView>({
        conversationId,
        messages: this.outboxMessages(conversationId),
        hasOlder: undefined,
        loading: false,
      });
      this.views.set(conversationId, store);
    }
    return store;
  }

  /** What the outbox holds for a conversation, as messages (after a restart, before it is sent). */
  private outboxMessages(conversationId: string): ChatMessage[] {
    const selfId = this.accounts.session.getSnapshot()?.userId ?? '';
    return this.outboxQueue.entries
      .getSnapshot()
      .filter((e) => e.conversationId === conversationId)
      .map((e) => ({
        messageId: e.messageId,
        conversationId,
        senderId: selfId,
        text: e.text,
        own: true,
        status: e.failure ? 'failed' : 'sending',
        ...(e.failure ? { failure: e.failure } : {}),
      }));
  }

  /**
   * Shows messages in their conversation and the list. A conversation the list does not hold yet
   * (a group the user was added to, a first direct message) is added with what is known (for a
   * direct send, `directMembers`), and the list is read again for its title and members.
   */
  private showMessages(
    conversationId: string,
    messages: readonly ChatMessage[],
    directMembers?: readonly string[],
  ): void {
    this.viewStore(conversationId).update((view) => ({
      ...view,
      messages: mergeMessages(view.messages, messages),
    }));
    const selfId = this.selfId();
    const known = this.summaries.getSnapshot().some((c) => c.conversationId === conversationId);
    for (const message of messages)
      this.summaries.update((list) =>
        applyMessageToSummaries(list, message, () =>
          directMembers
            ? { kind: 'direct', memberIds: directMembers }
            : message.own || directConversationId(selfId, message.senderId) === conversationId
              ? { kind: 'direct', memberIds: message.own ? [selfId] : [message.senderId, selfId] }
              : { kind: 'group', memberIds: [message.senderId, selfId] },
        ),
      );
    if (!known && messages.some((m) => m.seq !== undefined)) this.refreshListSoon();
  }

  /** One list refresh at a time: a burst of messages in new conversations costs one or two reads. */
  private refreshListSoon(): void {
    this.listRefresh ??= this.refreshConversations()
      .catch(() => undefined)
      .finally(() => {
        this.listRefresh = undefined;
      });
  }

  /** Creates a group (the creator is a member) and returns its id. */
  async createGroup(title: string, memberIds: readonly string[]): Promise<string> {
    const { conversationId } = await this.http.createGroup({ title, memberIds });
    await this.refreshConversations();
    return conversationId;
  }

  async addMember(conversationId: string, userId: string): Promise<void> {
    await this.http.addMember(conversationId, userId);
    await this.refreshConversations();
  }

  /** Removes a member (the creator may remove anyone; anyone may remove themselves). */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.http.removeMember(conversationId, userId);
    await this.refreshConversations();
  }

  async leaveGroup(conversationId: string): Promise<void> {
    await this.removeMember(conversationId, this.selfId());
  }
}

/** `http(s)://host/...` → `ws(s)://host/ws`. */
export function webSocketUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = '/ws';
  url.search = '';
  return url.toString();
}

function parse<T>(body: string): T {
  return JSON.parse(body) as T;
}
