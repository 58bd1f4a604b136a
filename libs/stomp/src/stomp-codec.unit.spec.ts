import {
  FrameParser,
  StompProtocolError,
  encodeFrame,
  escapeHeader,
  negotiateHeartBeats,
  negotiateVersion,
  unescapeHeader,
  type ParsedItem,
  type StompFrame,
} from '@parley/stomp';

const parser = (maxFrameBytes = 64 * 1024) => new FrameParser({ maxFrameBytes });
const frames = (items: ParsedItem[]): StompFrame<string>[] =>
  items.flatMap((item) => (item.kind === 'frame' ? [item.frame] : []));

describe('FrameParser', () => {
  it('parses a frame with headers and a NUL-terminated body', () => {
    const [frame] = frames(parser().push('SEND\ndestination:/app/chat.send\nreceipt:r-1\n\n{"text":"hi"}\0'));
    expect(frame).toEqual({
      command: 'SEND',
      headers: { destination: '/app/chat.send', receipt: 'r-1' },
      body: Buffer.from('{"text":"hi"}'),
    });
  });

  it('joins a frame split across many chunks, even inside a UTF-8 character', () => {
    const bytes = Buffer.from('SEND\ndestination:/q\n\nhéllo ✓\0', 'utf8');
    const p = parser();
    const seen: ParsedItem[] = [];
    for (let i = 0; i < bytes.length; i++) seen.push(...p.push(bytes.subarray(i, i + 1)));
    expect(frames(seen).map((f) => f.body.toString('utf8'))).toEqual(['héllo ✓']);
  });

  it('returns several frames and heart-beats from one chunk', () => {
    const items = parser().push('\nACK\nid:1\n\n\0\r\n\nNACK\nid:2\n\n\0\n');
    expect(items.map((i) => (i.kind === 'frame' ? i.frame.command : 'beat'))).toEqual([
      'beat',
      'ACK',
      'beat',
      'beat',
      'NACK',
      'beat',
    ]);
  });

  it('accepts CRLF line ends', () => {
    const [frame] = frames(parser().push('SUBSCRIBE\r\nid:0\r\ndestination:/user/queue/messages\r\n\r\n\0'));
    expect(frame?.headers).toEqual({ id: '0', destination: '/user/queue/messages' });
  });

  it('reads exactly content-length bytes, NULs included', () => {
    const body = Buffer.from([1, 0, 2, 0, 3]);
    const wire = Buffer.concat([
      Buffer.from(`SEND\ndestination:/q\ncontent-length:${body.length}\n\n`),
      body,
      Buffer.from([0]),
    ]);
    const p = parser();
    expect(p.push(wire.subarray(0, 20))).toEqual([]);
    const [frame] = frames(p.push(wire.subarray(20)));
    expect(frame?.body).toEqual(body);
  });

  it('refuses a body longer than its content-length', () => {
    expect(() => parser().push('SEND\ndestination:/q\ncontent-length:2\n\nabc\0')).toThrow(
      /longer than its content-length/,
    );
  });

  it('unescapes headers, except in CONNECT', () => {
    const [send] = frames(parser().push('SEND\ndestination:/a\\cb\\\\c\\nd\\re\n\n\0'));
    expect(send?.headers.destination).toBe('/a:b\\c\nd\re');
    const [connect] = frames(parser().push('CONNECT\npasscode:a\\cb\naccept-version:1.2\n\n\0'));
    expect(connect?.headers.passcode).toBe('a\\cb');
  });

  it('keeps the first of repeated headers and whitespace as given', () => {
    const [frame] = frames(parser().push('SEND\ndestination:/first\ndestination:/second\nx: padded \n\n\0'));
    expect(frame?.headers).toEqual({ destination: '/first', x: ' padded ' });
  });

  it.each([
    ['an unknown command', 'FLY\n\n\0', /unknown command/],
    ['a server command from a client', 'MESSAGE\n\n\0', /unknown command/],
    ['a header without a colon', 'SEND\nnocolon\n\n\0', /malformed header/],
    ['an undefined escape', 'SEND\ndestination:/a\\tb\n\n\0', /invalid escape/],
    ['a bad content-length', 'SEND\ncontent-length:-1\n\n\0', /invalid content-length/],
    ['a stray carriage return', '\rSEND\n\n\0', /carriage return/],
  ])('refuses %s', (_what, wire, message) => {
    expect(() => parser().push(wire)).toThrow(message);
  });

  it('refuses a frame over the size limit as soon as it is known, complete or not', () => {
    expect(() => parser(100).push(`SEND\ndestination:/q\n\n${'x'.repeat(200)}\0`)).toThrow(
      /larger than the limit/,
    );
    expect(() => parser(100).push(`SEND\ndestination:/q\n\n${'x'.repeat(101)}`)).toThrow(
      /larger than the limit/,
    );
    expect(() => parser(100).push('SEND\ncontent-length:5000\n\n')).toThrow(/larger than the limit/);
    expect(frames(parser(100).push(`SEND\n\n${'x'.repeat(93)}\0`))).toHaveLength(1);
  });

  it('refuses all input after a protocol error', () => {
    const p = parser();
    expect(() => p.push('BOGUS\n\n\0')).toThrow(StompProtocolError);
    expect(() => p.push('SEND\n\n\0')).toThrow(/already broken/);
  });
});

describe('encodeFrame', () => {
  it('escapes header values, adds content-length, and round-trips through the parser', () => {
    const frame = {
      command: 'MESSAGE',
      headers: { destination: '/user/queue/messages', 'message-id': 'a:b\nc\\d', subscription: '0' },
      body: Buffer.from('{"text":"nul \u0000 inside"}'),
    };
    const wire = encodeFrame(frame);
    expect(wire.toString()).toContain('message-id:a\\cb\\nc\\\\d\n');
    expect(wire.toString()).toContain(`content-length:${frame.body.length}\n`);
    const [back] = frames(new FrameParser({ maxFrameBytes: 1024, commands: ['MESSAGE'] }).push(wire));
    expect(back?.headers['message-id']).toBe('a:b\nc\\d');
    expect(back?.body).toEqual(frame.body);
  });

  it('does not escape CONNECTED and refuses line breaks in it', () => {
    expect(
      encodeFrame({
        command: 'CONNECTED',
        headers: { version: '1.2', server: 'parley:1' },
        body: Buffer.alloc(0),
      }).toString(),
    ).toBe('CONNECTED\nversion:1.2\nserver:parley:1\n\n\0');
    expect(() =>
      encodeFrame({ command: 'CONNECTED', headers: { x: 'a\nb' }, body: Buffer.alloc(0) }),
    ).toThrow();
  });

  it('escapes and unescapes every special octet', () => {
    const value = 'a\\b:c\nd\re';
    expect(unescapeHeader(escapeHeader(value))).toBe(value);
  });
});

describe('negotiation', () => {
  it('picks the highest common version and refuses 1.0-only clients', () => {
    expect(negotiateVersion('1.0,1.1,1.2')).toBe('1.2');
    expect(negotiateVersion('1.1')).toBe('1.1');
    expect(negotiateVersion(undefined)).toBeUndefined();
    expect(negotiateVersion('1.0')).toBeUndefined();
  });

  it('negotiates heart-beats as the spec says', () => {
    const server = { sendMs: 10_000, receiveMs: 10_000 };
    expect(negotiateHeartBeats('4000,20000', server)).toEqual({ outgoingMs: 20_000, incomingMs: 10_000 });
    expect(negotiateHeartBeats('0,0', server)).toEqual({ outgoingMs: 0, incomingMs: 0 });
    expect(negotiateHeartBeats(undefined, server)).toEqual({ outgoingMs: 0, incomingMs: 0 });
    expect(negotiateHeartBeats('30000,0', server)).toEqual({ outgoingMs: 0, incomingMs: 30_000 });
    expect(() => negotiateHeartBeats('fast', server)).toThrow(/invalid heart-beat/);
  });
});
