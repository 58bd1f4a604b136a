import { escapeHeader } from './header-escaping';
import { escapesHeaders, type StompFrame } from './stomp-frame';

/**
 * Serialises a frame. A body gets a `content-length` header so that clients never scan it for NUL;
 * header values are escaped except on CONNECT/STOMP/CONNECTED, where newlines are refused instead.
 */
export function encodeFrame(frame: StompFrame<string>): Buffer {
  const escape = escapesHeaders(frame.command);
  const lines = [frame.command];
  for (const [name, value] of Object.entries(frame.headers)) {
    if (name === 'content-length') continue;
    if (escape) {
      lines.push(`${escapeHeader(name)}:${escapeHeader(value)}`);
    } else {
      if (/[\r\n]/.test(name + value))
        throw new Error(`header ${name} of ${frame.command} cannot hold a line break`);
      lines.push(`${name}:${value}`);
    }
  }
  if (frame.body.length > 0) lines.push(`content-length:${frame.body.length}`);
  const head = Buffer.from(`${lines.join('\n')}\n\n`, 'utf8');
  return Buffer.concat([head, frame.body, NUL]);
}

const NUL = Buffer.from([0]);

/** A heart-beat is a single end-of-line between frames. */
export const HEARTBEAT = Buffer.from('\n');
