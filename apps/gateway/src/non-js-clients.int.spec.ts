// The gateway as clients not written in JavaScript see it. curl --http2 and Java's HttpClient (whose
// default version is HTTP/2) offer `Upgrade: h2c` over http://; the gateway must answer them as plain
// HTTP/1.1 requests, and keep the WebSocket endpoint for WebSocket upgrades to /ws alone.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { randomName } from '@parley/testing';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';

const JAVA_CLIENT = join(__dirname, '..', 'test', 'java', 'ParleyClient.java');
const javaFound = spawnSync('java', ['-version']).error === undefined;
if (!javaFound)
  console.warn('SKIPPED: no `java` on PATH, so the Java client tests do not run (install JDK 17+)');
const itWithJava = javaFound ? it : it.skip;

interface Transfer {
  readonly status: number;
  /** The HTTP version the answer came in (curl's %{http_version}). */
  readonly version: string;
  /** New connections this transfer opened: 0 when it reused the previous one. */
  readonly connects: number;
  readonly body: any;
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly token?: string;
  readonly headers?: readonly string[];
}

const WRITE_OUT = '\n@@transfer %{http_code} %{http_version} %{num_connects}\n';

/** Runs one curl with the requests in turn (`--next`), so curl reuses its connection between them. */
async function curl(
  baseUrl: string,
  requests: readonly Request[],
  options: readonly string[],
): Promise<Transfer[]> {
  const args = requests.flatMap((request, i) => [
    ...(i === 0 ? [] : ['--next']),
    ...options,
    '--silent',
    '--show-error',
    '--request',
    request.method,
    ...(request.token ? ['--header', `authorization: Bearer ${request.token}`] : []),
    ...(request.body === undefined
      ? []
      : ['--header', 'content-type: application/json', '--data-binary', JSON.stringify(request.body)]),
    ...(request.headers ?? []).flatMap((header) => ['--header', header]),
    '--write-out',
    WRITE_OUT,
    `${baseUrl}${request.path}`,
  ]);
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile('curl', args, { timeout: 60_000 }, (error, out, err) =>
      error ? reject(new Error(`curl failed: ${error.message} ${err}`)) : resolve(out),
    ),
  );
  const transfers = [...stdout.matchAll(/([^\n]*)\n@@transfer (\d+) ([\d.]+) (\d+)\n/g)].map((match) => ({
    status: Number(match[2]),
    version: match[3]!,
    connects: Number(match[4]),
    body: parseBody(match[1]!),
  }));
  if (transfers.length !== requests.length) throw new Error(`curl printed ${stdout}`);
  return transfers;
}

/** JSON when it is JSON (the API's answers), else the text (what a refusal outside the API says). */
function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the Java client (single-file source program) in one of its modes against the fixture. */
function javaClient(args: readonly string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', [JAVA_CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Compiling the source and starting a JVM takes seconds on a busy machine.
    const timer = setTimeout(() => child.kill('SIGKILL'), 290_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}

describe('clients not written in JavaScript: HTTP/2 offers and the JDK', () => {
  let fixture: GatewayFixture;
  /** `METHOD path upgrade` of every request the server saw with an Upgrade header. */
  const upgradeOffers: string[] = [];
  const username = () => randomName('u').toLowerCase().slice(0, 24);

  beforeAll(async () => {
    fixture = await startGatewayFixture('non-js');
    // Only looks: the gateway's own listener, added first, decides where the request goes.
    fixture.gateway.server.on('upgrade', (request: { method: string; url: string; headers: any }) =>
      upgradeOffers.push(`${request.method} ${request.url} ${request.headers.upgrade}`),
    );
  });

  afterAll(() => fixture.dispose());

  it('curl --http2: register and login on one kept-alive connection, answered over HTTP/1.1 as usual', async () => {
    const name = username();
    const [registered, login] = await curl(
      fixture.baseUrl,
      [
        { method: 'POST', path: '/v1/auth/register', body: { username: name, password: 'password-1' } },
        { method: 'POST', path: '/v1/auth/login', body: { username: name, password: 'password-1' } },
      ],
      ['--http2'],
    );

    expect(registered).toEqual({
      status: 201,
      version: '1.1',
      connects: 1,
      body: {
        userId: expect.any(String),
        username: name,
        token: expect.any(String),
        expiresAt: expect.any(String),
      },
    });
    expect(login).toEqual({
      status: 200,
      version: '1.1',
      connects: 0,
      body: expect.objectContaining({ userId: registered!.body.userId, token: expect.any(String) }),
    });
    // curl did offer HTTP/2 each time: the gateway declined and answered the request itself.
    expect(upgradeOffers).toEqual(
      expect.arrayContaining(['POST /v1/auth/register h2c', 'POST /v1/auth/login h2c']),
    );
  });

  it('curl --http2: sends a message (a plain and a chunked body) and gets 202 with the usual answer', async () => {
    const [ada, bob] = await Promise.all(
      [username(), username()].map(async (name) => {
        const [answer] = await curl(
          fixture.baseUrl,
          [{ method: 'POST', path: '/v1/auth/register', body: { username: name, password: 'password-1' } }],
          ['--http2'],
        );
        expect(answer!.status).toBe(201);
        return answer!.body as { userId: string; token: string };
      }),
    );
    const [first, second] = [randomUUID(), randomUUID()];
    const sent = await curl(
      fixture.baseUrl,
      [
        {
          method: 'POST',
          path: '/v1/messages',
          token: ada!.token,
          body: { messageId: first, recipientId: bob!.userId, text: 'over h2c?' },
        },
        {
          method: 'POST',
          path: '/v1/messages',
          token: ada!.token,
          body: { messageId: second, recipientId: bob!.userId, text: 'chunked' },
          headers: ['transfer-encoding: chunked'],
        },
      ],
      ['--http2'],
    );

    const answer = (messageId: string) => ({
      status: 202,
      version: '1.1',
      connects: expect.any(Number),
      body: { messageId, conversationId: expect.any(String), status: 'sent', sentAt: expect.any(String) },
    });
    expect(sent).toEqual([answer(first), answer(second)]);
    expect(upgradeOffers.filter((offer) => offer === 'POST /v1/messages h2c')).toHaveLength(2);
  });

  it('a WebSocket upgrade to another path, and an h2c offer to /ws, are answered by the HTTP API', async () => {
    const websocket = [
      'connection: Upgrade',
      'upgrade: websocket',
      'sec-websocket-version: 13',
      `sec-websocket-key: ${Buffer.from(randomUUID().slice(0, 16)).toString('base64')}`,
      'sec-websocket-protocol: v12.stomp',
    ];
    const [elsewhere, h2cOnWs, unknown] = await curl(
      fixture.baseUrl,
      [
        { method: 'GET', path: '/v1/users/me', headers: websocket },
        {
          method: 'GET',
          path: '/ws',
          headers: ['connection: Upgrade, HTTP2-Settings', 'upgrade: h2c', 'http2-settings: AAMAAABk'],
        },
        { method: 'GET', path: '/nowhere', headers: websocket },
      ],
      [],
    );

    expect(elsewhere).toEqual(
      expect.objectContaining({
        status: 401,
        body: { error: expect.objectContaining({ code: 'TOKEN_MISSING' }) },
      }),
    );
    expect(h2cOnWs).toEqual(
      expect.objectContaining({
        status: 404,
        body: { error: expect.objectContaining({ code: 'NOT_FOUND' }) },
      }),
    );
    expect(unknown).toEqual(
      expect.objectContaining({
        status: 404,
        body: { error: expect.objectContaining({ code: 'NOT_FOUND' }) },
      }),
    );
  });

  itWithJava(
    "Java's HttpClient (HTTP/2 by default): two users, a login, 100 messages with 202 each, all 100 in the history",
    async () => {
      const offersBefore = upgradeOffers.length;
      const exit = await javaClient(['http-chat', fixture.baseUrl, '100']);

      expect(exit).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^OK http-chat sent=100 history=100 version=HTTP_1_1$/m),
        stderr: expect.any(String),
      });
      // The JDK did offer h2c (so the test shows what it claims), on the calls that open a connection.
      expect(upgradeOffers.slice(offersBefore)).toContain('POST /v1/auth/register h2c');
    },
    300_000,
  );

  itWithJava(
    "Java's WebSocket, STOMP 1.2 as Spring's client speaks it: client-individual ACKs, and delivered receipts",
    async () => {
      const exit = await javaClient(['stomp-inbox', fixture.baseUrl, '20']);

      expect(exit).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^OK stomp-inbox sent=20 received=20 delivered=20$/m),
        stderr: expect.any(String),
      });
    },
    300_000,
  );
});
