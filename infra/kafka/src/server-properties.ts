import type { KafkaNode } from './kafka-layout';

/**
 * server.properties for one KRaft node acting as broker and controller, listening on loopback only.
 * A static voter set (`controller.quorum.voters`) keeps one-node and three-node clusters alike.
 */
export function serverProperties(node: KafkaNode, cluster: readonly KafkaNode[]): string {
  const replicas = Math.min(3, cluster.length);
  const minIsr = replicas > 1 ? 2 : 1;
  const voters = cluster.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
  const lines: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://127.0.0.1:${node.brokerPort},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': node.dataDir,
    // Every topic comes from the catalogue; auto-creation races with KRaft metadata.
    'auto.create.topics.enable': false,
    'unclean.leader.election.enable': false,
    'default.replication.factor': replicas,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': replicas,
    'offsets.topic.num.partitions': 12,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': 6,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minIsr,
    // Tests start many short-lived groups; waiting for more members would only slow them.
    'group.initial.rebalance.delay.ms': 0,
    'num.partitions': 1,
    'log.retention.check.interval.ms': 60_000,
    // Failover in about a second: a broker that stops heartbeating is fenced after 1 s (default 9 s;
    // 1.5 s left a 2.15 s gap without acknowledged sends) and its partitions get new leaders; a follower that stops fetching leaves the
    // ISR after 1 s (default 30 s), so acks=all writes stop waiting for it; the controllers elect a
    // new active controller after 1 s without hearing from it. Measured in three-node-cluster.int.spec.ts.
    // One node on a small machine (the local broker of `npm start` and `npm test`): the defaults' 3
    // network and 8 I/O threads only take turns on two cores. Measured with bench:e2e, two runs each:
    // broker CPU per message 4.8-5.9 ms against 6.2-7.4 at 50 msgs/s, 1.8-1.9 against 2.1 at 200/s,
    // the same at 1,000/s, latency unchanged. The three-node fault tests keep the defaults.
    ...(cluster.length === 1 ? { 'num.network.threads': 1, 'num.io.threads': 2 } : {}),
    ...(cluster.length > 1
      ? {
          'broker.heartbeat.interval.ms': 250,
          'broker.session.timeout.ms': 1_000,
          'replica.lag.time.max.ms': 1_000,
          'controller.quorum.fetch.timeout.ms': 1_000,
          'controller.quorum.election.timeout.ms': 500,
        }
      : {}),
  };
  return Object.entries(lines)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
    .concat('\n');
}

export function log4j2Config(logFile: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <File name="file" fileName="${logFile}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="warn"/>
    <Logger name="org.apache.kafka.controller" level="info"/>
    <Root level="info"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
`;
}
