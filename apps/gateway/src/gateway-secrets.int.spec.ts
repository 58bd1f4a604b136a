// The gateway as an operator starts it (`node --import tsx apps/gateway/src/main.ts`): it refuses to
// start without a token secret, accepts none signed with the secret the repository once held, and
// keeps /readyz and /metrics off its public port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TokenService } from '@parley/auth';
import { createTestWorld, waitFor, type TestWorld } from '@parley/testing';
import { installationSecret } from '../../../tools/stack/installation-secret';

/** What libs/config used whenever JWT_SECRET was unset, until it was removed. */
const OLD_REPOSITORY_SECRET = 'parley-local-development-secret-change-me!';

const MAIN = resolve(__dirname, 'main.ts');

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

/** Runs main.ts with `env` on top of this process's environment (minus JWT_SECRET); `undefined` removes a variable. */
function runGateway(env: Record<string, string | undefined>): { child: ChildProcess; output: () => string } {
  const merged: Record<string, string | undefined> = { ...process.env, JWT_SECRET: undefined, ...env };
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((done) => {
    if (child.exitCode !== null) done(child.exitCode);
    else child.once('exit', (code) => done(code));
  });

describe('the gateway process: token secret and ops exposure', () => {
  let world: TestWorld;
  let stateDir: string;
  let gateway: ChildProcess | undefined;

  beforeAll(async () => {
    world = await createTestWorld('secrets', { database: true });
    stateDir = mkdtempSync(join(tmpdir(), 'parley-state-'));
  });

  afterAll(async () => {
    if (gateway && gateway.exitCode === null) {
      gateway.kill('SIGTERM');
      await exitOf(gateway);
    }
    rmSync(stateDir, { recursive: true, force: true });
    await world.dispose();
  });

  it('refuses to start without JWT_SECRET, or with a short one, with one message saying what to set', async () => {
    const ports = { GATEWAY_PORT: String(await freePort()), GATEWAY_OPS_PORT: String(await freePort()) };
    const unset = runGateway(ports);
    expect(await exitOf(unset.child)).toBe(1);
    expect(unset.output().trim()).toBe(
      'gateway failed to start: Invalid configuration:\n' +
        '  - JWT_SECRET: is not set: set it to a random secret of at least 32 characters ' +
        '(for example the output of `openssl rand -base64 48`), the same on every node',
    );

    const short = runGateway({ ...ports, JWT_SECRET: 'only-twenty-chars-xx' });
    expect(await exitOf(short.child)).toBe(1);
    expect(short.output()).toContain('JWT_SECRET: must be at least 32 characters (got 20 characters)');
    expect(short.output()).not.toContain('only-twenty-chars-xx');
  });

  it('started with the stack’s secret: 401 for a token signed with the old repository secret; /readyz and /metrics only on the ops listener', async () => {
    // The secret as npm start keeps it for an installation (.parley/jwt-secret), here in a temp dir.
    const { secret } = installationSecret(stateDir);
    const [port, opsPort] = [await freePort(), await freePort()];
    const run = runGateway({
      JWT_SECRET: secret,
      GATEWAY_PORT: String(port),
      GATEWAY_OPS_PORT: String(opsPort),
      TOPIC_PREFIX: world.prefix,
      REDIS_KEY_PREFIX: world.prefix,
      DATABASE_URL: world.databaseUrl,
      LOG_LEVEL: 'error',
    });
    gateway = run.child;
    const base = `http://127.0.0.1:${port}`;
    const ops = `http://127.0.0.1:${opsPort}`;
    await waitFor(async () => (await fetch(`${ops}/readyz`).catch(() => undefined))?.ok, {
      what: `the gateway ready on its ops port (output so far: ${run.output()})`,
      timeoutMs: 60_000,
    });

    const me = async (token: string) => {
      const response = await fetch(`${base}/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    const forged = await new TokenService(OLD_REPOSITORY_SECRET).issue(
      '00000000-0000-4000-8000-000000000001',
    );
    expect(await me(forged.token)).toEqual({
      status: 401,
      body: { error: expect.objectContaining({ code: 'TOKEN_INVALID' }) },
    });
    // The installation's own secret is the one in use.
    const real = await new TokenService(secret).issue('00000000-0000-4000-8000-000000000002');
    expect(await me(real.token)).toEqual({
      status: 200,
      body: { userId: '00000000-0000-4000-8000-000000000002' },
    });

    // The public port: liveness only.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    // The ops listener: all three.
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${ops}/readyz`)).json()).toMatchObject({ status: 'ready' });
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toMatch(
      /parley_http_requests_total\{[^}]*route="\/v1\/users\/me"[^}]*status="200"[^}]*\} 1/,
    );
  });
});
