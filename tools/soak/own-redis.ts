import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import type { Log } from '../stack/stack-setup';

/**
 * A Redis server of the soak's own, as a child process without persistence: killing it and starting
 * it again gives an empty Redis on the same port, which is the fault the soak injects. Nothing else
 * on the machine uses it.
 */
export class OwnRedis {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly log: Log,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) =>
        reject(
          new Error(
            `cannot run redis-server (${error.message}): install Redis (apt-get install redis-server)`,
          ),
        ),
      );
    });
    const deadline = Date.now() + 20_000;
    while (!(await this.answers())) {
      if (child.exitCode !== null)
        throw new Error(`redis-server on port ${this.port} exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer in 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    this.log(`  Redis (own, empty) on ${this.url}, pid ${child.pid}`);
  }

  /** kill -9: everything in it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    this.child = undefined;
  }

  private async answers(): Promise<boolean> {
    const redis = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined); // not up yet: the rejected connect says so
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  }
}
