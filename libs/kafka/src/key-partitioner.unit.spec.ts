import { Partitioners } from 'kafkajs';
import { murmur2, partitionForKey } from './key-partitioner';

describe('partitionForKey', () => {
  it('agrees with the partitioner kafkajs and the Java client use', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 6, 12, 50]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
        partitionId: i,
        leader: 1,
        replicas: [1],
        isr: [1],
        offlineReplicas: [],
        partitionErrorCode: 0,
      }));
      for (let i = 0; i < 500; i++) {
        const key = `conversation-${i}-${'x'.repeat(i % 7)}-é`;
        expect(partitionForKey(key, partitions)).toBe(
          kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } }),
        );
      }
    }
  });

  it('matches known murmur2 values of the Java implementation', () => {
    // From Kafka's UtilsTest.testMurmur2.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });
});
