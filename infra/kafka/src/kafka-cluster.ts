import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { KafkaAdmin, createKafka } from '@parley/kafka';
import { fetchKafka } from './fetch-kafka';
import { clusterLayout, type ClusterLayout, type ClusterName, type KafkaNode } from './kafka-layout';
import { portIsOpen, prepareNode, runningPid, startNode, stopNode, tailLog } from './kafka-node';

export interface NodeStatus {
  readonly id: number;
  readonly pid: number | undefined;
  readonly brokerPort: number;
  readonly listening: boolean;
}

/**
 * Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding; never one starting
 * with '-' (one in 64 would), which the storage tool's `-t` reads as an option and refuses (as
 * Kafka's own Uuid.randomUuid avoids).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function clusterId(layout: ClusterLayout): string {
  if (existsSync(layout.clusterIdFile)) return readFileSync(layout.clusterIdFile, 'utf8').trim();
  mkdirSync(layout.dir, { recursive: true });
  const id = newClusterId();
  writeFileSync(layout.clusterIdFile, `${id}\n`);
  return id;
}

export async function clusterStatus(name: ClusterName): Promise<NodeStatus[]> {
  const layout = clusterLayout(name);
  return Promise.all(
    layout.nodes.map(async (node) => ({
      id: node.id,
      pid: runningPid(node),
      brokerPort: node.brokerPort,
      listening: await portIsOpen(node.brokerPort),
    })),
  );
}

/**
 * Fetches Kafka if needed, then starts every node that is not running and waits until all brokers
 * have registered and answer metadata requests (at most `readyTimeoutMs`). Returns whether this call
 * started anything.
 */
export async function startCluster(
  name: ClusterName,
  log: (line: string) => void = console.log,
  readyTimeoutMs = 90_000,
): Promise<{ layout: ClusterLayout; started: boolean }> {
  await fetchKafka(log);
  const layout = clusterLayout(name);
  const id = clusterId(layout);
  let started = false;
  for (const node of layout.nodes) {
    prepareNode(node, layout.nodes, id);
    if ((await startNode(node)) === 'started') {
      started = true;
      log(`Kafka node ${node.id} starting on 127.0.0.1:${node.brokerPort} (log: ${node.logFile})`);
    }
  }
  await waitForCluster(layout, log, readyTimeoutMs);
  return { layout, started };
}

export async function waitForCluster(
  layout: ClusterLayout,
  log: (line: string) => void = console.log,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastReport = 0;
  while (Date.now() < deadline) {
    const dead = layout.nodes.filter((node) => runningPid(node) === undefined);
    if (dead.length > 0) {
      const node = dead[0] as KafkaNode;
      throw new Error(`Kafka node ${node.id} exited during start-up. Its log ends with:\n${tailLog(node)}`);
    }
    if (await allListening(layout)) {
      const admin = new KafkaAdmin(createKafka({ brokers: layout.bootstrap, clientId: 'parley-infra' }));
      try {
        await admin.connect();
        const registered = await admin.brokerCount();
        if (registered === layout.nodes.length) {
          await admin.listTopics();
          return;
        }
        lastError = new Error(`${registered} of ${layout.nodes.length} brokers registered`);
      } catch (error) {
        lastError = error;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      log(`  waiting for ${layout.nodes.length === 1 ? 'the broker' : `${layout.nodes.length} brokers`}...`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(
    `Kafka (${layout.name}) did not become ready in ${timeoutMs / 1000} s (${lastError instanceof Error ? lastError.message : 'no answer'}).\n` +
      layout.nodes.map((node) => `Log of node ${node.id}:\n${tailLog(node, 10)}`).join('\n'),
  );
}

async function allListening(layout: ClusterLayout): Promise<boolean> {
  const open = await Promise.all(layout.nodes.map((n) => portIsOpen(n.brokerPort)));
  return open.every(Boolean);
}

export async function stopCluster(
  name: ClusterName,
  log: (line: string) => void = console.log,
): Promise<void> {
  const layout = clusterLayout(name);
  // Reverse order: the last broker to leave keeps the quorum for the others' controlled shutdown.
  await Promise.all(
    [...layout.nodes].reverse().map(async (node) => {
      const result = await stopNode(node);
      log(`Kafka node ${node.id}: ${result}`);
    }),
  );
}
