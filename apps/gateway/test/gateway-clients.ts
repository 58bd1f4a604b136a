// Test support: an HTTP caller and standard STOMP clients (@stomp/stompjs) for a gateway fixture.
import { randomUUID } from 'node:crypto';
import { Client, type IFrame, type IMessage } from '@stomp/stompjs';
import WebSocket from 'ws';
import { randomName, waitFor } from '@parley/testing';

export interface HttpAnswer {
  readonly status: number;
  readonly body: any;
}

export interface TestUser {
  readonly userId: string;
  readonly username: string;
  readonly token: string;
}

/** A STOMP client that records what arrives on its queues. */
export interface TestStompClient {
  readonly client: Client;
  readonly errors: Record<string, unknown>[];
  /** Resolves when the RECEIPT arrives; rejects after `timeoutMs`. */
  sendWithReceipt(destination: string, body: unknown, timeoutMs?: number): Promise<string>;
  /** Sends without waiting for anything. */
  send(destination: string, body: unknown, headers?: Record<string, string>): void;
  readonly closed: Promise<IFrame | undefined>;
}

/** One item that arrived on `/user/queue/messages`. */
export interface InboxReceived {
  readonly message: IMessage;
  readonly body: Record<string, any>;
  readonly position: number;
}

/** Subscribes to the user's inbox as a device would (client-individual ACKs); returns what arrives. */
export function subscribeInbox(
  stomp: TestStompClient,
  headers: Record<string, string> = {},
): InboxReceived[] {
  const received: InboxReceived[] = [];
  stomp.client.subscribe(
    '/user/queue/messages',
    (message) =>
      received.push({
        message,
        body: JSON.parse(message.body) as Record<string, unknown>,
        position: Number(message.headers['inbox-position']),
      }),
    { ack: 'client-individual', ...headers },
  );
  return received;
}

export function gatewayClients(baseUrl: () => string) {
  const port = () => new URL(baseUrl()).port;
  const open: Client[] = [];

  const call = async (method: string, path: string, token?: string, body?: unknown): Promise<HttpAnswer> => {
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  const register = async (label = 'u'): Promise<TestUser> => {
    const username = randomName(label).toLowerCase().slice(0, 24);
    const answer = await call('POST', '/v1/auth/register', undefined, { username, password: 'password-1' });
    if (answer.status !== 201) throw new Error(`register failed: ${JSON.stringify(answer.body)}`);
    const session = answer.body as { userId: string; token: string };
    return { userId: session.userId, username, token: session.token };
  };

  /** Connects a standard STOMP client and subscribes to /user/queue/errors. */
  const connect = async (user: TestUser, headers: Record<string, string> = {}): Promise<TestStompClient> => {
    const client = new Client({
      webSocketFactory: () => new WebSocket(`ws://127.0.0.1:${port()}/ws`, ['v12.stomp']),
      connectHeaders: { Authorization: `Bearer ${user.token}`, ...headers },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
    });
    open.push(client);
    let onClosed: (frame: IFrame | undefined) => void = () => undefined;
    const closed = new Promise<IFrame | undefined>((resolve) => (onClosed = resolve));
    let lastError: IFrame | undefined;
    client.onStompError = (frame) => (lastError = frame);
    client.onWebSocketClose = () => onClosed(lastError);
    await new Promise<void>((resolve, reject) => {
      client.onConnect = () => resolve();
      client.onStompError = (frame) => {
        lastError = frame;
        reject(new Error(frame.headers.message));
      };
      client.activate();
    });
    client.onStompError = (frame) => (lastError = frame);
    const errors: Record<string, unknown>[] = [];
    client.subscribe('/user/queue/errors', (m: IMessage) =>
      errors.push(JSON.parse(m.body) as Record<string, unknown>),
    );
    const send = (destination: string, body: unknown, headers: Record<string, string> = {}) =>
      client.publish({ destination, body: typeof body === 'string' ? body : JSON.stringify(body), headers });
    return {
      client,
      errors,
      closed,
      send,
      sendWithReceipt: (destination, body, timeoutMs = 10_000) => {
        const receipt = randomUUID();
        return new Promise<string>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no RECEIPT for ${destination} within ${timeoutMs} ms`)),
            timeoutMs,
          );
          client.watchForReceipt(receipt, () => {
            clearTimeout(timer);
            resolve(receipt);
          });
          send(destination, body, { receipt });
        });
      },
    };
  };

  const closeAll = async () => {
    await Promise.all(open.splice(0).map((c) => c.deactivate()));
  };

  return { call, register, connect, closeAll, waitFor };
}
