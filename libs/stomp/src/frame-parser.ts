import { ByteQueue } from './byte-queue';
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

/** The command and headers of the frame being read, once its blank line has arrived. */
interface FrameHead {
  readonly command: string;
  readonly headers: Record<string, string>;
  /** Offset of the body from the frame's first byte. */
  readonly bodyStart: number;
  /** Offset of the NUL that must end the body, when a content-length says where it is. */
  readonly nulAt: number | undefined;
}

/**
 * Incremental STOMP 1.2 parser: feed it what arrives (a WebSocket message may hold part of a frame,
 * or several frames, or heart-beat EOLs) and it returns every complete frame. After a protocol error
 * it refuses further input: the connection is to be closed.
 *
 * The work is linear in the bytes received however they are cut: a frame's bytes are searched once
 * (for the LF ending each head line, then for the body's NUL), each search resuming where the last
 * push left it, and each head line is decoded once, when its LF arrives.
 */
/** One set per list of commands, shared by every parser that reads them (one parser per connection). */
const commandSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function commandSet(commands: readonly string[]): ReadonlySet<string> {
  let set = commandSets.get(commands);
  if (!set) commandSets.set(commands, (set = new Set(commands)));
  return set;
}

export class FrameParser {
  private readonly bytes = new ByteQueue();
  private broken = false;
  private readonly commands: ReadonlySet<string>;
  private readonly maxHeaders: number;
  /** The frame being read, from the queue's first byte: false between frames (heart-beats). */
  private inFrame = false;
  /** Head lines decoded so far (the command, then header lines). */
  private lines: string[] = [];
  /** Where the current head line starts. */
  private lineStart = 0;
  /** Bytes of the frame searched already (for LF in the head, for NUL in a body without content-length). */
  private searched = 0;
  private head: FrameHead | undefined;

  constructor(private readonly options: FrameParserOptions) {
    this.commands = commandSet(options.commands ?? CLIENT_COMMANDS);
    this.maxHeaders = options.maxHeaders ?? 64;
  }

  push(chunk: Buffer | string): ParsedItem[] {
    if (this.broken) throw new StompProtocolError('the stream is already broken');
    this.bytes.append(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    try {
      const items = this.drain();
      this.bytes.release();
      return items;
    } catch (error) {
      this.broken = true;
      this.bytes.clear();
      this.lines = [];
      this.head = undefined;
      throw error;
    }
  }

  private drain(): ParsedItem[] {
    const items: ParsedItem[] = [];
    for (;;) {
      if (!this.inFrame) {
        const first = this.bytes.at(0);
        if (first === undefined) break;
        if (first === LF) {
          items.push({ kind: 'heartbeat' });
          this.bytes.consume(1);
          continue;
        }
        if (first === CR) {
          const second = this.bytes.at(1);
          if (second === undefined) break;
          if (second !== LF) throw new StompProtocolError('carriage return not followed by a line feed');
          items.push({ kind: 'heartbeat' });
          this.bytes.consume(2);
          continue;
        }
        this.inFrame = true;
      }
      const frame = this.nextFrame();
      if (!frame) {
        if (this.bytes.length > this.options.maxFrameBytes) this.tooLarge();
        break;
      }
      items.push({ kind: 'frame', frame });
    }
    return items;
  }

  /** The frame at the front of the queue once complete (and consumed); undefined while more must come. */
  private nextFrame(): StompFrame<string> | undefined {
    const head = this.head ?? this.readHead();
    if (!head) return undefined;
    let nulAt: number;
    if (head.nulAt !== undefined) {
      nulAt = head.nulAt;
      if (this.bytes.length < nulAt + 1) return undefined;
      if (this.bytes.at(nulAt) !== NUL)
        throw new StompProtocolError('frame body is longer than its content-length');
    } else {
      nulAt = this.bytes.indexOf(NUL, this.searched);
      if (nulAt < 0) {
        this.searched = this.bytes.length;
        return undefined;
      }
    }
    if (nulAt + 1 > this.options.maxFrameBytes) this.tooLarge();
    // Copy: the frame must not pin the receive buffer in memory.
    const frame = {
      command: head.command,
      headers: head.headers,
      body: this.bytes.copy(head.bodyStart, nulAt),
    };
    this.bytes.consume(nulAt + 1);
    this.inFrame = false;
    this.lines = [];
    this.lineStart = 0;
    this.searched = 0;
    this.head = undefined;
    return frame;
  }

  /** Reads the head lines that arrived; the head once its blank line is there. */
  private readHead(): FrameHead | undefined {
    for (;;) {
      const newline = this.bytes.indexOf(LF, this.searched);
      if (newline < 0) {
        this.searched = this.bytes.length;
        return undefined;
      }
      const position = this.lineStart;
      let end = newline;
      if (end > position && this.bytes.at(end - 1) === CR) end--;
      this.searched = newline + 1;
      this.lineStart = newline + 1;
      if (end === position && this.lines.length > 0) {
        this.head = this.parseHead(newline + 1);
        return this.head;
      }
      this.lines.push(this.bytes.text(position, end));
      if (this.lines.length > this.maxHeaders + 1)
        throw new StompProtocolError(`more than ${this.maxHeaders} headers`);
    }
  }

  private parseHead(bodyStart: number): FrameHead {
    const command = this.lines[0] as string;
    if (!this.commands.has(command)) {
      throw new StompProtocolError(`unknown command "${command.slice(0, 40)}"`);
    }
    const headers = parseHeaders(this.lines.slice(1), escapesHeaders(command));
    const declared = headers['content-length'];
    if (declared === undefined) return { command, headers, bodyStart, nulAt: undefined };
    if (!/^\d{1,10}$/.test(declared))
      throw new StompProtocolError(`invalid content-length "${declared.slice(0, 40)}"`);
    const nulAt = bodyStart + Number(declared);
    if (nulAt + 1 > this.options.maxFrameBytes) this.tooLarge();
    return { command, headers, bodyStart, nulAt };
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
