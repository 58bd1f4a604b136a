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

export const DEFAULT_KAFKA_PORT = 9092;
export const DEFAULT_TRIO_PORT = 19092;

interface ClusterSpec {
  readonly dirName: string;
  readonly broker: number;
  readonly controller: number;
  readonly count: number;
  readonly heap: string;
}

/** Read when asked, so a test can start a private single broker (PARLEY_KAFKA_PORT) of its own. */
function clusterSpec(name: ClusterName): ClusterSpec {
  if (name === 'trio') {
    // Three brokers+controllers for fault tests, on their own ports and folders: brokers N..N+2,
    // controllers N+100..N+102; another base port (PARLEY_KAFKA_TRIO_PORT, a fault soak's) gets a
    // folder of its own, so it runs beside the three-node test's trio.
    const base = Number(process.env.PARLEY_KAFKA_TRIO_PORT ?? DEFAULT_TRIO_PORT);
    if (!Number.isInteger(base) || base < 1 || base > 65_433)
      throw new Error(
        `PARLEY_KAFKA_TRIO_PORT: expected a port number, got "${process.env.PARLEY_KAFKA_TRIO_PORT}"`,
      );
    const dirName = base === DEFAULT_TRIO_PORT ? 'trio' : `trio-${base}`;
    return { dirName, broker: base, controller: base + 100, count: 3, heap: '512m' };
  }
  // The default local broker (what `npm start` and `npm test` use) lives in `single/`; a broker on
  // another port (PARLEY_KAFKA_PORT) has a folder of its own, so the two can run side by side.
  const port = Number(process.env.PARLEY_KAFKA_PORT ?? DEFAULT_KAFKA_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65534)
    throw new Error(`PARLEY_KAFKA_PORT: expected a port number, got "${process.env.PARLEY_KAFKA_PORT}"`);
  const dirName = port === DEFAULT_KAFKA_PORT ? 'single' : `single-${port}`;
  return { dirName, broker: port, controller: port + 1, count: 1, heap: '1g' };
}

export function clusterLayout(name: ClusterName): ClusterLayout {
  const spec = clusterSpec(name);
  const dir = join(KAFKA_HOME, spec.dirName);
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
