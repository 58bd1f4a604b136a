import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { KAFKA_LIBS, type KafkaNode } from './kafka-layout';
import { log4j2Config, serverProperties } from './server-properties';

/** The pid in the node's pid file if that process is alive and really is this node's broker. */
export function runningPid(node: KafkaNode): number | undefined {
  if (!existsSync(node.pidFile)) return undefined;
  const pid = Number(readFileSync(node.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // A recycled pid belongs to some other program: check the command line, not just liveness.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('kafka.Kafka') && cmdline.includes(node.propertiesFile) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function portIsOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function java(args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync('java', [...args], { encoding: 'utf8' });
  if (result.error) throw new Error(`cannot run java (${result.error.message}): install a JDK 17+ and retry`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Writes the node's configuration and formats its storage once (KRaft needs a formatted log dir). */
export function prepareNode(node: KafkaNode, cluster: readonly KafkaNode[], clusterId: string): void {
  mkdirSync(node.dataDir, { recursive: true });
  writeFileSync(node.propertiesFile, serverProperties(node, cluster));
  writeFileSync(join(node.dir, 'log4j2.xml'), log4j2Config(node.logFile));
  if (existsSync(join(node.dataDir, 'meta.properties'))) return;
  const result = java([
    '-cp',
    `${KAFKA_LIBS}/*`,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    node.propertiesFile,
  ]);
  if (result.status !== 0) {
    throw new Error(
      `formatting Kafka node ${node.id} failed:\n${result.output}\nDelete ${node.dir} to start afresh.`,
    );
  }
}

/** Starts the node's JVM detached from this process, its output in server.log. Idempotent. */
export async function startNode(node: KafkaNode): Promise<'started' | 'already running'> {
  if (runningPid(node) !== undefined) return 'already running';
  // A pid file left by a killed broker: the process is gone (the OS released its log-dir lock).
  rmSync(node.pidFile, { force: true });
  for (const port of [node.brokerPort, node.controllerPort]) {
    if (await portIsOpen(port)) {
      throw new Error(
        `port ${port} is taken by another process (not this checkout's Kafka node ${node.id}). ` +
          `Stop it (ss -ltnp | grep ${port}), or point KAFKA_BROKERS at that broker instead.`,
      );
    }
  }
  const out = openSync(join(node.dir, 'stdout.log'), 'a');
  const child = spawn(
    'java',
    [
      `-Xms256m`,
      `-Xmx${node.heap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(node.dir, 'log4j2.xml')}`,
      '-cp',
      `${KAFKA_LIBS}/*`,
      'kafka.Kafka',
      node.propertiesFile,
    ],
    // Own session and no inherited pipes: the broker outlives this command without holding its output open.
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start java for Kafka node ${node.id}`);
  writeFileSync(node.pidFile, `${child.pid}\n`);
  child.unref();
  return 'started';
}

/** SIGTERM for a clean shutdown (logs flushed, no recovery on next start); SIGKILL if it hangs. */
export async function stopNode(node: KafkaNode, timeoutMs = 30_000): Promise<'stopped' | 'not running'> {
  const pid = runningPid(node);
  if (pid === undefined) {
    rmSync(node.pidFile, { force: true });
    return 'not running';
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (runningPid(node) !== undefined && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  if (runningPid(node) !== undefined) process.kill(pid, 'SIGKILL');
  while (runningPid(node) !== undefined) await new Promise((r) => setTimeout(r, 100));
  rmSync(node.pidFile, { force: true });
  return 'stopped';
}

/** Last lines of the node's log, for error messages. */
export function tailLog(node: KafkaNode, lines = 20): string {
  for (const file of [node.logFile, join(node.dir, 'stdout.log')]) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      if (text) return text;
    }
  }
  return '(no log yet)';
}
