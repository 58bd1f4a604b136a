import { headWithoutUpgrade, isWebSocketUpgrade } from './upgrade-routing';

// Which upgrade requests the WebSocket endpoint takes, and the request head the HTTP API is handed for
// the others. End to end (curl --http2, Java's HttpClient): apps/gateway/src/non-js-clients.int.spec.ts.

const WEBSOCKET = [
  'Host',
  'gw',
  'Connection',
  'Upgrade',
  'Upgrade',
  'websocket',
  'Sec-WebSocket-Version',
  '13',
];

describe('isWebSocketUpgrade', () => {
  it('takes a WebSocket upgrade to the path, with or without a query, whatever the case of the token', () => {
    expect(isWebSocketUpgrade({ url: '/ws', rawHeaders: WEBSOCKET }, '/ws')).toBe(true);
    expect(isWebSocketUpgrade({ url: '/ws?device=1', rawHeaders: WEBSOCKET }, '/ws')).toBe(true);
    expect(
      isWebSocketUpgrade(
        { url: '/ws', rawHeaders: ['Connection', 'upgrade', 'upgrade', ' WebSocket '] },
        '/ws',
      ),
    ).toBe(true);
  });

  it('leaves an HTTP/2 offer to the HTTP API, on /ws too', () => {
    const h2c = ['Connection', 'Upgrade, HTTP2-Settings', 'Upgrade', 'h2c', 'HTTP2-Settings', 'AAMAAABk'];
    expect(isWebSocketUpgrade({ url: '/v1/auth/login', rawHeaders: h2c }, '/ws')).toBe(false);
    expect(isWebSocketUpgrade({ url: '/ws', rawHeaders: h2c }, '/ws')).toBe(false);
  });

  it('leaves a WebSocket upgrade to another path, and an offer of several protocols, to the HTTP API', () => {
    expect(isWebSocketUpgrade({ url: '/v1/users/me', rawHeaders: WEBSOCKET }, '/ws')).toBe(false);
    expect(isWebSocketUpgrade({ url: '/ws/other', rawHeaders: WEBSOCKET }, '/ws')).toBe(false);
    expect(isWebSocketUpgrade({ url: '/ws', rawHeaders: ['Upgrade', 'h2c, websocket'] }, '/ws')).toBe(false);
    expect(
      isWebSocketUpgrade({ url: '/ws', rawHeaders: ['Upgrade', 'websocket', 'Upgrade', 'h2c'] }, '/ws'),
    ).toBe(false);
  });
});

describe('headWithoutUpgrade', () => {
  it('given an h2c offer, drops Upgrade and HTTP2-Settings and their Connection tokens, keeping the rest as sent', () => {
    const head = headWithoutUpgrade({
      method: 'POST',
      url: '/v1/messages?x=1',
      httpVersion: '1.1',
      rawHeaders: [
        'Host',
        '127.0.0.1:8080',
        'Connection',
        'Upgrade, HTTP2-Settings',
        'Upgrade',
        'h2c',
        'HTTP2-Settings',
        'AAMAAABkAAQCAAAAAAIAAAAA',
        'content-type',
        'application/json',
        'Content-Length',
        '7',
        'X-Twice',
        'a',
        'X-Twice',
        'b',
      ],
    });
    expect(head).toBe(
      'POST /v1/messages?x=1 HTTP/1.1\r\n' +
        'Host: 127.0.0.1:8080\r\n' +
        'content-type: application/json\r\n' +
        'Content-Length: 7\r\n' +
        'X-Twice: a\r\n' +
        'X-Twice: b\r\n' +
        '\r\n',
    );
  });

  it('keeps the other Connection tokens and the HTTP version of the request', () => {
    const head = headWithoutUpgrade({
      method: 'GET',
      url: '/healthz',
      httpVersion: '1.0',
      rawHeaders: ['connection', 'keep-alive, upgrade', 'upgrade', 'websocket'],
    });
    expect(head).toBe('GET /healthz HTTP/1.0\r\nconnection: keep-alive\r\n\r\n');
  });
});
