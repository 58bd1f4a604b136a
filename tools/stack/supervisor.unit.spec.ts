// Real child processes (a tiny HTTP server in plain node), no infrastructure: the supervisor as
// `npm start` uses it, with its default restart policy.
import { createServer } from 'node:net';
import { waitFor } from '@parley/testing';
import { Supervisor, type SupervisedProcess } from './supervisor';

/** Answers its pid over HTTP; stops cleanly on SIGTERM. */
const SERVER = `
const http = require('node:http');
http.createServer((req, res) => res.end(String(process.pid)))
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening as ' + process.pid));
process.on('SIGTERM', () => process.exit(0));
`;

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

const pidAt = async (port: number): Promise<number | undefined> => {
  try {
    return Number(await (await fetch(`http://127.0.0.1:${port}/`)).text());
  } catch {
    return undefined;
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Supervisor (the stack behind npm start)', () => {
  let lines: string[];
  let output: string[];
  let supervisor: Supervisor;
  let started: SupervisedProcess[];

  const start = async (port: number, script = SERVER) => {
    const child = await supervisor.start({
      name: 'tiny',
      command: process.execPath,
      args: ['-e', script],
      env: { PATH: process.env.PATH, PORT: String(port) },
      isReady: async () => (await pidAt(port)) !== undefined,
      startTimeoutMs: 20_000,
    });
    started.push(child);
    return child;
  };

  beforeEach(() => {
    lines = [];
    output = [];
    started = [];
    supervisor = new Supervisor({
      log: (line) => lines.push(line),
      output: (name, line) => output.push(`[${name}] ${line}`),
    });
  });

  afterEach(async () => {
    supervisor.shutDown();
    await Promise.all(started.map((child) => child.stop()));
  });

  it('given a running service, when it is killed with SIGKILL, then it is logged and restarted after 1 s', async () => {
    const port = await freePort();
    const child = await start(port);
    const first = child.pid!;
    expect(await pidAt(port)).toBe(first);
    expect(output).toContain(`[tiny] listening as ${first}`);

    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    const died = await waitFor(() => lines.find((l) => l.includes('died')), { what: 'the death logged' });
    expect(died).toMatch(
      new RegExp(
        `^tiny \\(pid ${first}\\) died: killed by SIGKILL after [\\d.]+ s up; crash 1 in a row, 1 since the stack started; restarting in 1\\.0 s$`,
      ),
    );

    const second = await waitFor(
      async () => {
        const pid = await pidAt(port);
        return pid !== undefined && pid !== first ? pid : undefined;
      },
      { what: 'a new process answering', timeoutMs: 10_000 },
    );
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_000);
    expect(child.pid).toBe(second);
    expect(lines).toContain(`tiny restarted (pid ${second})`);
    await waitFor(() => lines.includes(`tiny (pid ${second}) is ready again`), { what: 'ready again' });

    // Dying again soon after: the second crash in a row waits twice as long.
    process.kill(second, 'SIGKILL');
    await waitFor(() => lines.find((l) => l.includes(`(pid ${second}) died`)), { what: 'the second death' });
    expect(lines.find((l) => l.includes(`(pid ${second}) died`))).toMatch(
      /killed by SIGKILL .*crash 2 in a row, 2 since the stack started; restarting in 2\.0 s$/,
    );
  });

  it('given a service that exits with a code, then the code is what the log names', async () => {
    const port = await freePort();
    const script = `${SERVER}\nsetTimeout(() => process.exit(3), 1500);`;
    const child = await start(port, script);
    const first = child.pid!;
    await waitFor(() => lines.find((l) => l.includes('died')), { what: 'the exit logged' });
    expect(lines.find((l) => l.includes('died'))).toContain(`tiny (pid ${first}) died: exit code 3 after`);
  });

  it('given a service stopped by the supervisor, then it is not restarted', async () => {
    const port = await freePort();
    const child = await start(port);
    const pid = child.pid!;
    await child.stop();
    expect(alive(pid)).toBe(false);
    // Longer than the first backoff: nothing came back.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await pidAt(port)).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('given a shutdown (Ctrl-C reaches the services too), when a service then exits on its own, then it is not restarted', async () => {
    const port = await freePort();
    const child = await start(port);
    const pid = child.pid!;
    supervisor.shutDown();
    process.kill(pid, 'SIGINT'); // as the terminal does to the whole process group
    await waitFor(() => !alive(pid), { what: 'the service gone' });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await pidAt(port)).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('given a service that dies during its first start, then the start fails with its output', async () => {
    const port = await freePort();
    await expect(start(port, 'console.error("cannot start: no database"); process.exit(1)')).rejects.toThrow(
      /tiny exited with exit code 1 during start-up:\ncannot start: no database/,
    );
    expect(lines).toEqual([]);
  });
});
