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

/** The trio's first broker port when PARLEY_KAFKA_TRIO_PORT is not set. */
export const DEFAULT_TRIO_PORT = 19092;

function spec(name: ClusterName) {
  const single = Number(process.env.PARLEY_KAFKA_PORT ?? 9092);
  // Read at each call: a fault soak runs its own trio beside the one the three-node test uses.
  const trio = Number(process.env.PARLEY_KAFKA_TRIO_PORT ?? DEFAULT_TRIO_PORT);
  return name === 'single'
    ? // The default local broker: what `npm start` and `npm test` use.
      { broker: single, controller: single + 1, count: 1, heap: '1g', folder: 'single' }
    : // Three brokers+controllers for fault tests, on their own ports (brokers N..N+2, controllers
      // N+100..N+102) and folders (another base port gets a folder of its own).
      {
        broker: trio,
        controller: trio + 100,
        count: 3,
        heap: '512m',
        folder: trio === DEFAULT_TRIO_PORT ? 'trio' : `trio-${trio}`,
      };
}

export function clusterLayout(name: ClusterName): ClusterLayout {
  const { broker, controller, count, heap, folder } = spec(name);
  const dir = join(KAFKA_HOME, folder);
  const nodes = Array.from({ length: count }, (_, i): KafkaNode => {
    const nodeDir = join(dir, `node-${i + 1}`);
    return {
      cluster: name,
      id: i + 1,
      brokerPort: broker + i,
      controllerPort: controller + i,
      dir: nodeDir,
      dataDir: join(nodeDir, 'data'),
      propertiesFile: join(nodeDir, 'server.properties'),
      logFile: join(nodeDir, 'server.log'),
      pidFile: join(nodeDir, 'kafka.pid'),
      heap,
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
