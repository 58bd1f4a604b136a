import { StompProtocolError } from './stomp-frame';

export type StompVersion = '1.1' | '1.2';

/** The highest version both sides speak, from CONNECT's `accept-version` (absent means 1.0 only). */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | undefined {
  const offered = new Set((acceptVersion ?? '1.0').split(',').map((v) => v.trim()));
  if (offered.has('1.2')) return '1.2';
  if (offered.has('1.1')) return '1.1';
  return undefined;
}

export interface HeartBeats {
  /** How often the server must send something (0: never). */
  readonly outgoingMs: number;
  /** How often the client promised to send something (0: no promise). */
  readonly incomingMs: number;
}

/**
 * STOMP heart-beat negotiation. The client's `heart-beat: cx,cy` says it can send every cx ms and
 * wants to receive every cy ms; the server offers sx,sy. Each direction uses the larger of the two
 * values, or none when either side says 0.
 */
export function negotiateHeartBeats(
  clientHeader: string | undefined,
  server: { sendMs: number; receiveMs: number },
): HeartBeats {
  const [cx, cy] = parseHeartBeat(clientHeader ?? '0,0');
  return {
    outgoingMs: cy === 0 || server.sendMs === 0 ? 0 : Math.max(server.sendMs, cy),
    incomingMs: cx === 0 || server.receiveMs === 0 ? 0 : Math.max(server.receiveMs, cx),
  };
}

function parseHeartBeat(value: string): [number, number] {
  const match = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(value);
  if (!match) throw new StompProtocolError(`invalid heart-beat header "${value}"`);
  return [Number(match[1]), Number(match[2])];
}
