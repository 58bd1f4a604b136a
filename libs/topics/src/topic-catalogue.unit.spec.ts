import { TOPIC_CATALOGUE, TOPICS, topicDrift, findTopicSpec, desiredConfigs } from '@parley/topics';

describe('topic catalogue', () => {
  it('lists every topic of the protocol and a dead-letter twin for each', () => {
    const names = TOPIC_CATALOGUE.map((t) => t.name);
    for (const topic of Object.values(TOPICS)) {
      expect(names).toContain(topic);
      expect(names).toContain(`${topic}.dlq`);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('keeps the event-store topics forever', () => {
    for (const name of ['chat.messages', 'chat.conversations', 'chat.users']) {
      expect(findTopicSpec(name)?.retentionMs).toBe(-1);
    }
  });
});

describe('topicDrift', () => {
  const spec = findTopicSpec('chat.messages')!;

  it('is empty when the cluster matches', () => {
    expect(
      topicDrift(spec, 'local', 'chat.messages', {
        partitions: 12,
        replicationFactor: 1,
        configs: desiredConfigs(spec, 'local'),
      }),
    ).toEqual([]);
  });

  it('names each differing setting', () => {
    const drift = topicDrift(spec, 'production', 'x.chat.messages', {
      partitions: 3,
      replicationFactor: 3,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': '604800000', 'min.insync.replicas': '2' },
    });
    expect(drift).toEqual([
      { topic: 'x.chat.messages', setting: 'partitions', expected: '12', actual: '3' },
      { topic: 'x.chat.messages', setting: 'retention.ms', expected: '-1', actual: '604800000' },
    ]);
  });
});
