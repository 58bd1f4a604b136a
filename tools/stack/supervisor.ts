import { spawn, type ChildProcess } from 'node:child_process';
import {
  DEFAULT_RESTART_POLICY,
  NO_CRASHES,
  decideRestart,
  type CrashHistory,
  type RestartPolicy,
} from './restart-policy';

export type Log = (line: string) => void;

/** A long-running child process and how to tell that it serves. */
export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Resolves true once the process serves; polled every 250 ms after each start. */
  readonly isReady: () => Promise<boolean>;
  /** How long the first start may take (default 60 s). */
  readonly startTimeoutMs?: number;
}

export interface SupervisedProcess {
  readonly name: string;
  /** The current child's pid (a restart makes a new one). */
  readonly pid: number | undefined;
  /** Stops it for good (SIGTERM, then SIGKILL after the stop timeout); it is not restarted. */
  stop(): Promise<void>;
}

export interface SupervisorOptions {
  /** The supervisor's own lines: deaths, restarts, readiness after a restart. */
  readonly log: Log;
  /** Each line a child prints (default: to stdout, prefixed with `[name]`). */
  readonly output?: (name: string, line: string) => void;
  readonly policy?: RestartPolicy;
  /** How long a child may take to stop after SIGTERM before it is killed (default 15 s). */
  readonly stopTimeoutMs?: number;
}

/**
 * Runs child processes and keeps them running: a child that dies without being asked to is logged
 * (what died, how, how often) and restarted after the backoff of `decideRestart`. `shutDown()`
 * ends all restarts at once; it must come first on Ctrl-C, which reaches every child of the
 * terminal's process group at the same moment as the supervisor.
 */
export class Supervisor {
  private shuttingDown = false;
  private readonly processes = new Set<Supervised>();

  constructor(readonly options: SupervisorOptions) {}

  /** Starts `spec` and waits until it is ready; a child that dies or hangs during this first start fails it. */
  async start(spec: ProcessSpec): Promise<SupervisedProcess> {
    const supervised = new Supervised(spec, this);
    this.processes.add(supervised);
    try {
      await supervised.firstStart();
    } catch (error) {
      this.processes.delete(supervised);
      throw error;
    }
    return supervised;
  }

  /** No process is restarted from now on; each is still stopped by its own `stop()`. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const supervised of this.processes) supervised.cancelRestart();
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}

class Supervised implements SupervisedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private startedAt = 0;
  private history: CrashHistory = NO_CRASHES;
  private stopping = false;
  private serving = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly recent: string[] = [];

  constructor(
    private readonly spec: ProcessSpec,
    private readonly supervisor: Supervisor,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async firstStart(): Promise<void> {
    const child = this.spawnChild();
    const timeoutMs = this.spec.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    while (!(await this.spec.isReady().catch(() => false))) {
      if (!alive(child))
        throw new Error(`${this.name} exited with ${how(child)} during start-up:\n${this.recent.join('\n')}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${this.name} did not become ready within ${timeoutMs / 1000} s`);
      }
      await sleep(250);
    }
    this.serving = true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelRestart();
    const child = this.child;
    if (!child || !alive(child)) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.supervisor.options.stopTimeoutMs ?? 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  cancelRestart(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private spawnChild(): ChildProcess {
    const child = spawn(this.spec.command, [...this.spec.args], {
      ...(this.spec.cwd ? { cwd: this.spec.cwd } : {}),
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.startedAt = Date.now();
    const output =
      this.supervisor.options.output ?? ((name, line) => process.stdout.write(`[${name}] ${line}\n`));
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        this.recent.push(line);
        if (this.recent.length > 30) this.recent.shift();
        output(this.name, line);
      }
    };
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        resolve();
        this.onExit(child);
      }),
    );
    return child;
  }

  /** A child that was serving (or restarting) died: log it, and restart it unless a stop was asked for. */
  private onExit(child: ChildProcess): void {
    if (!this.serving) return; // the first start reports its own failure
    const log = this.supervisor.options.log;
    const uptimeMs = Date.now() - this.startedAt;
    const decision = decideRestart(
      { stopping: this.stopping || this.supervisor.isShuttingDown, uptimeMs, history: this.history },
      this.supervisor.options.policy ?? DEFAULT_RESTART_POLICY,
    );
    if (!decision.restart) return;
    this.history = decision.history;
    const { inARow, total } = decision.history;
    log(
      `${this.name} (pid ${child.pid}) died: ${how(child)} after ${seconds(uptimeMs)} up; ` +
        `crash ${inARow} in a row, ${total} since the stack started; restarting in ${seconds(decision.delayMs)}`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping || this.supervisor.isShuttingDown) return;
      const next = this.spawnChild();
      log(`${this.name} restarted (pid ${next.pid})`);
      void this.announceReady(next);
    }, decision.delayMs);
  }

  private async announceReady(child: ChildProcess): Promise<void> {
    while (alive(child) && !this.stopping) {
      if (await this.spec.isReady().catch(() => false)) {
        if (alive(child)) this.supervisor.options.log(`${this.name} (pid ${child.pid}) is ready again`);
        return;
      }
      await sleep(250);
    }
  }
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

function how(child: ChildProcess): string {
  return child.signalCode ? `killed by ${child.signalCode}` : `exit code ${child.exitCode}`;
}

const seconds = (ms: number) => `${ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
