export { startCluster, stopCluster, clusterStatus, waitForCluster, type NodeStatus } from './kafka-cluster';
export { fetchKafka, kafkaIsFetched } from './fetch-kafka';
export {
  clusterLayout,
  KAFKA_VERSION,
  REPO_ROOT,
  STATE_DIR,
  type ClusterLayout,
  type ClusterName,
  type KafkaNode,
} from './kafka-layout';
export { runningPid, portIsOpen } from './kafka-node';
