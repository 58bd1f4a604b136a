// Usage: npm run kafka -- <fetch|start|stop|status> [--nodes 3]
import { fetchKafka } from './fetch-kafka';
import { clusterStatus, startCluster, stopCluster } from './kafka-cluster';
import type { ClusterName } from './kafka-layout';

async function main(argv: readonly string[]): Promise<void> {
  const [command] = argv;
  const nodesFlag = argv.indexOf('--nodes');
  const nodes = nodesFlag >= 0 ? argv[nodesFlag + 1] : '1';
  if (nodes !== '1' && nodes !== '3') throw new Error('--nodes takes 1 (default) or 3');
  const cluster: ClusterName = nodes === '3' ? 'trio' : 'single';
  switch (command) {
    case 'fetch':
      return fetchKafka();
    case 'start': {
      const { layout, started } = await startCluster(cluster);
      console.log(
        `Kafka ${started ? 'started' : 'already running'}: KAFKA_BROKERS=${layout.bootstrap.join(',')}`,
      );
      return;
    }
    case 'stop':
      return stopCluster(cluster);
    case 'status': {
      for (const node of await clusterStatus(cluster)) {
        const state = node.pid ? `running (pid ${node.pid})` : 'stopped';
        console.log(
          `node ${node.id}: ${state}, port ${node.brokerPort} ${node.listening ? 'listening' : 'closed'}`,
        );
      }
      return;
    }
    default:
      console.log('usage: npm run kafka -- <fetch|start|stop|status> [--nodes 3]');
      process.exitCode = command ? 2 : 0;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
