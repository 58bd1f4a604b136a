import { StompProtocolError } from './stomp-frame';

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\r': '\\r', '\n': '\\n', ':': '\\c' };
const UNESCAPES: Readonly<Record<string, string>> = { '\\': '\\', r: '\r', n: '\n', c: ':' };

export function escapeHeader(value: string): string {
  return value.replace(/[\\\r\n:]/g, (ch) => ESCAPES[ch] as string);
}

/** Undefined escape sequences (a backslash followed by anything else) are fatal in STOMP 1.2. */
export function unescapeHeader(value: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\(.?)/gs, (_match, next: string) => {
    const replacement = UNESCAPES[next];
    if (replacement === undefined) {
      throw new StompProtocolError(`invalid escape sequence "\\${next}" in a header`);
    }
    return replacement;
  });
}
