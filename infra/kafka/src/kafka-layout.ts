import { join, resolve } from 'node:path';

/** Must match `kafka.version` in infra/kafka/pom.xml. */
export const KAFKA_VERSION = '4.1.2';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const STATE_DIR = process.env.PARLEY_STATE_DIR ?? join(REPO_ROOT, '.parley');
export const KAFKA_HOME = join(STATE_DIR, 'kafka');
export const KAFKA_LIBS = join(KAFKA_HOME, `libs-${KAFKA_VERSION}`);
export const POM_FILE = join(REPO_ROOT, 'infra/kafka/pom.xml');

export type ClusterName = 'single' | 'trio';

export interface KafkaNode {
  readonly cluster: ClusterName;
  readonly id: number;
  readonly brokerPort: number;
  readonly controllerPort: number;
  readonly dir: string;
  readonly dataDir: string;
  readonly propertiesFile: string;
  readonly logFile: string;
  readonly pidFile: string;
  readonly heap: string;
}

export interface ClusterLayout {
  readonly name: ClusterName;
  readonly dir: string;
  readonly clusterIdFile: string;
  readonly nodes: readonly KafkaNode[];
  readonly bootstrap: readonly string[];
}

const PORTS: Record<ClusterName, { broker: number; controller: number; count: number; heap: string }> = {
  // The default local broker: what `npm start` and `npm test` use.
  single: {
    broker: Number(process.env.PARLEY_KAFKA_PORT ?? 9092),
    controller: Number(process.env.PARLEY_KAFKA_PORT ?? 9092) + 1,
    count: 1,
    heap: '1g',
  },
  // Three brokers+controllers for fault tests, on their own ports and folders.
  trio: { broker: 19092, controller: 19192, count: 3, heap: '512m' },
};

export function clusterLayout(name: ClusterName): ClusterLayout {
  const spec = PORTS[name];
  const dir = join(KAFKA_HOME, name);
  const nodes = Array.from({ length: spec.count }, (_, i): KafkaNode => {
    const nodeDir = join(dir, `node-${i + 1}`);
    return {
      cluster: name,
      id: i + 1,
      brokerPort: spec.broker + i,
      controllerPort: spec.controller + i,
      dir: nodeDir,
      dataDir: join(nodeDir, 'data'),
      propertiesFile: join(nodeDir, 'server.properties'),
      logFile: join(nodeDir, 'server.log'),
      pidFile: join(nodeDir, 'kafka.pid'),
      heap: spec.heap,
    };
  });
  return {
    name,
    dir,
    clusterIdFile: join(dir, 'cluster.id'),
    nodes,
    bootstrap: nodes.map((n) => `127.0.0.1:${n.brokerPort}`),
  };
}
