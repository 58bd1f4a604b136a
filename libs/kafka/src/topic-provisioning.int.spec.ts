import { KafkaAdmin, createKafka } from '@parley/kafka';
import { randomName, stackEnv } from '@parley/testing';
import { TOPIC_CATALOGUE, prefixedTopic, type TopicSpec } from '@parley/topics';

describe('topic provisioning from the catalogue', () => {
  const admin = new KafkaAdmin(
    createKafka({ brokers: stackEnv().kafkaBrokers, clientId: 'provisioning-test' }),
  );
  const prefix = `${randomName('prov')}.`;
  const all = TOPIC_CATALOGUE.map((t) => prefixedTopic(prefix, t.name));

  beforeAll(() => admin.connect());
  afterAll(async () => {
    await admin.deleteTopics(all);
    await admin.disconnect();
  });

  it('creates every missing topic with its settings, then finds nothing to do and no drift', async () => {
    const first = await admin.provisionTopics({ prefix, profile: 'local' });
    expect([...first.created].sort()).toEqual([...all].sort());
    expect(first.drift).toEqual([]);

    const second = await admin.provisionTopics({ prefix, profile: 'local' });
    expect(second.created).toEqual([]);
    expect([...second.existing].sort()).toEqual([...all].sort());
    expect(second.drift).toEqual([]);
    const offsets = await admin.topicOffsets(prefixedTopic(prefix, 'chat.messages'));
    expect(offsets).toHaveLength(12);
  });

  it('reports drift instead of changing a topic that differs from the catalogue', async () => {
    const spec = TOPIC_CATALOGUE.find((t) => t.name === 'chat.presence') as TopicSpec;
    // The cluster has the topic with other settings than the catalogue now wants.
    const wanted: TopicSpec = { ...spec, partitions: spec.partitions + 2, retentionMs: 3_600_000 };
    const report = await admin.provisionTopics({ prefix, profile: 'local', catalogue: [wanted] });
    expect(report.created).toEqual([]);
    expect(report.drift).toEqual([
      {
        topic: prefixedTopic(prefix, 'chat.presence'),
        setting: 'partitions',
        expected: String(spec.partitions + 2),
        actual: String(spec.partitions),
      },
      {
        topic: prefixedTopic(prefix, 'chat.presence'),
        setting: 'retention.ms',
        expected: '3600000',
        actual: String(spec.retentionMs),
      },
    ]);
    expect(await admin.topicOffsets(prefixedTopic(prefix, 'chat.presence'))).toHaveLength(spec.partitions);
  });
});
