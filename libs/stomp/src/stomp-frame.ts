export const CLIENT_COMMANDS = [
  'CONNECT',
  'STOMP',
  'SEND',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'ACK',
  'NACK',
  'BEGIN',
  'COMMIT',
  'ABORT',
  'DISCONNECT',
] as const;

export const SERVER_COMMANDS = ['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'] as const;

export type ClientCommand = (typeof CLIENT_COMMANDS)[number];
export type ServerCommand = (typeof SERVER_COMMANDS)[number];
export type StompCommand = ClientCommand | ServerCommand;

export interface StompFrame<C extends string = StompCommand> {
  readonly command: C;
  /** Header values as given; for repeated headers only the first one counts (STOMP 1.2). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** A protocol violation: the server answers with ERROR and closes the connection. */
export class StompProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StompProtocolError';
  }
}

/** CONNECT, STOMP and CONNECTED do not escape header values, for compatibility with STOMP 1.0. */
export function escapesHeaders(command: string): boolean {
  return command !== 'CONNECT' && command !== 'STOMP' && command !== 'CONNECTED';
}
