import { unescapeHeader } from './header-escaping';
import { CLIENT_COMMANDS, StompProtocolError, escapesHeaders, type StompFrame } from './stomp-frame';

export interface FrameParserOptions {
  /** Largest frame accepted (command, headers and body), in bytes. */
  readonly maxFrameBytes: number;
  /** Commands accepted; a server parses client frames. */
  readonly commands?: readonly string[];
  readonly maxHeaders?: number;
}

export type ParsedItem =
  { readonly kind: 'frame'; readonly frame: StompFrame<string> } | { readonly kind: 'heartbeat' };

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

/**
 * Incremental STOMP 1.2 parser: feed it what arrives (a WebSocket message may hold part of a frame,
 * or several frames, or heart-beat EOLs) and it returns every complete frame. After a protocol error
 * it refuses further input: the connection is to be closed.
 */
export class FrameParser {
  private buffer: Buffer = Buffer.alloc(0);
  private broken = false;
  private readonly commands: ReadonlySet<string>;
  private readonly maxHeaders: number;

  constructor(private readonly options: FrameParserOptions) {
    this.commands = new Set(options.commands ?? CLIENT_COMMANDS);
    this.maxHeaders = options.maxHeaders ?? 64;
  }

  push(chunk: Buffer | string): ParsedItem[] {
    if (this.broken) throw new StompProtocolError('the stream is already broken');
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    try {
      return this.drain();
    } catch (error) {
      this.broken = true;
      this.buffer = Buffer.alloc(0);
      throw error;
    }
  }

  private drain(): ParsedItem[] {
    const items: ParsedItem[] = [];
    while (this.buffer.length > 0) {
      const first = this.buffer[0];
      if (first === LF) {
        items.push({ kind: 'heartbeat' });
        this.buffer = this.buffer.subarray(1);
        continue;
      }
      if (first === CR) {
        if (this.buffer.length < 2) break;
        if (this.buffer[1] !== LF)
          throw new StompProtocolError('carriage return not followed by a line feed');
        items.push({ kind: 'heartbeat' });
        this.buffer = this.buffer.subarray(2);
        continue;
      }
      const parsed = this.nextFrame();
      if (!parsed) {
        if (this.buffer.length > this.options.maxFrameBytes) this.tooLarge();
        break;
      }
      items.push({ kind: 'frame', frame: parsed.frame });
      this.buffer = this.buffer.subarray(parsed.consumed);
    }
    return items;
  }

  private nextFrame(): { frame: StompFrame<string>; consumed: number } | undefined {
    const buffer = this.buffer;
    const lines: string[] = [];
    let position = 0;
    let bodyStart = -1;
    while (bodyStart < 0) {
      const newline = buffer.indexOf(LF, position);
      if (newline < 0) return undefined;
      let end = newline;
      if (end > position && buffer[end - 1] === CR) end--;
      if (end === position && lines.length > 0) {
        bodyStart = newline + 1;
        break;
      }
      lines.push(buffer.toString('utf8', position, end));
      if (lines.length > this.maxHeaders + 1)
        throw new StompProtocolError(`more than ${this.maxHeaders} headers`);
      position = newline + 1;
    }

    const command = lines[0] as string;
    if (!this.commands.has(command)) {
      throw new StompProtocolError(`unknown command "${command.slice(0, 40)}"`);
    }
    const headers = parseHeaders(lines.slice(1), escapesHeaders(command));

    let bodyEnd: number;
    const declared = headers['content-length'];
    if (declared !== undefined) {
      if (!/^\d{1,10}$/.test(declared)) throw new StompProtocolError(`invalid content-length "${declared}"`);
      bodyEnd = bodyStart + Number(declared);
      if (bodyEnd + 1 > this.options.maxFrameBytes) this.tooLarge();
      if (buffer.length < bodyEnd + 1) return undefined;
      if (buffer[bodyEnd] !== NUL)
        throw new StompProtocolError('frame body is longer than its content-length');
    } else {
      bodyEnd = buffer.indexOf(NUL, bodyStart);
      if (bodyEnd < 0) return undefined;
    }
    if (bodyEnd + 1 > this.options.maxFrameBytes) this.tooLarge();
    // Copy: the frame must not pin the whole receive buffer in memory.
    const body = Buffer.from(buffer.subarray(bodyStart, bodyEnd));
    return { frame: { command, headers, body }, consumed: bodyEnd + 1 };
  }

  private tooLarge(): never {
    throw new StompProtocolError(`frame larger than the limit of ${this.options.maxFrameBytes} bytes`);
  }
}

function parseHeaders(lines: readonly string[], unescape: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new StompProtocolError(`malformed header line "${line.slice(0, 40)}"`);
    const name = unescape ? unescapeHeader(line.slice(0, colon)) : line.slice(0, colon);
    const value = unescape ? unescapeHeader(line.slice(colon + 1)) : line.slice(colon + 1);
    // Repeated headers: only the first occurrence counts.
    if (!Object.hasOwn(headers, name)) headers[name] = value;
  }
  return headers;
}
