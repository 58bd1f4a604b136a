import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Log } from '../stack/stack-setup';

const run = promisify(execFile);

/** The newest PostgreSQL server installed the Debian way (/usr/lib/postgresql/<major>/bin). */
async function postgresBin(): Promise<string> {
  const { stdout } = await run('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']);
  const bin = stdout.trim();
  if (!bin) throw new Error('no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)');
  return bin;
}

/**
 * A PostgreSQL cluster of the soak's own in a temporary directory, on its own port, so the soak can
 * crash it (`pg_ctl stop -m immediate`: no shutdown checkpoint, recovery from the WAL on the next
 * start) without touching the machine's server. PostgreSQL refuses to run as root: when the soak runs
 * as root, the cluster belongs to the `postgres` user and its commands run through `runuser`.
 */
export class OwnPostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
    private readonly log: Log,
  ) {}

  static async create(port: number, log: Log): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'parley-soak-pg-'));
    const postgres = new OwnPostgres(port, dir, await postgresBin(), log);
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await postgres.as(join(postgres.bin, 'initdb'), [
      '-D',
      join(dir, 'data'),
      '-U',
      'postgres',
      '-A',
      'trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    return postgres;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/parley`;
  }

  /** Starts the server and waits until it answers (at most `timeoutMs`: a crash recovery on a busy machine). */
  async start(timeoutMs = 60_000): Promise<void> {
    // fsync off: a killed server loses nothing the kernel has (the soak kills processes, not the
    // machine), and the two cores are spared the flushes.
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-k ${this.dir}`,
      '-c fsync=off',
      '-c max_connections=300',
      '-c shared_buffers=256MB',
    ].join(' ');
    const seconds = String(Math.ceil(timeoutMs / 1000));
    await this.pgCtl(
      ['-l', join(this.dir, 'server.log'), '-o', options, '-w', '-t', seconds, 'start'],
      timeoutMs + 30_000,
    );
    this.log(`  PostgreSQL (own) on 127.0.0.1:${this.port} (${this.dir})`);
  }

  /** Every server process ends at once, as in a crash: the next start recovers from the WAL. */
  async crash(): Promise<void> {
    await this.pgCtl(['-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.pgCtl(['-m', 'fast', '-w', 'stop']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private pgCtl(args: readonly string[], timeoutMs?: number): Promise<unknown> {
    return this.as(join(this.bin, 'pg_ctl'), ['-D', join(this.dir, 'data'), ...args], timeoutMs);
  }

  private async as(command: string, args: readonly string[], timeoutMs = 120_000): Promise<void> {
    const [file, argv] =
      process.getuid?.() === 0
        ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
        : [command, [...args]];
    try {
      await run(file, argv, { cwd: this.dir, timeout: timeoutMs });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`${command.split('/').pop()} ${args.join(' ')} failed: ${e.stderr || e.message}`);
    }
  }
}
