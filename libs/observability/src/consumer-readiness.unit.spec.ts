import type { ConsumerProgress } from '@parley/kafka';
import { consumerChecks, consumerVerdict, type ConsumerVerdictInput } from '@parley/observability';

const T0 = 1_000_000;
const STALL = 60_000;

const running = (over: Partial<ConsumerProgress> = {}): ConsumerProgress => ({
  groupId: 'parley.projection.messages',
  state: 'running',
  lastProgressAt: T0,
  assigned: [{ topic: 'chat.messages', partition: 0 }],
  ...over,
});

const verdict = (over: Partial<ConsumerVerdictInput>) =>
  consumerVerdict({
    progress: running(),
    lag: 0,
    behindSince: undefined,
    now: T0,
    stallAfterMs: STALL,
    ...over,
  });

describe('consumerVerdict (is one of the service’s own consumers doing its job?)', () => {
  it('given a running consumer with nothing waiting, then it is ready however long it has been idle', () => {
    expect(verdict({ now: T0 + 3_600_000 })).toEqual({ problem: undefined, behindSince: undefined });
  });

  it('given a consumer idle for an hour, when records start waiting, then it has the stall time to process them', () => {
    const first = verdict({ lag: 5, now: T0 + 3_600_000 });
    expect(first).toEqual({ problem: undefined, behindSince: T0 + 3_600_000 });
    const later = verdict({ lag: 5, behindSince: first.behindSince, now: T0 + 3_600_000 + STALL - 1 });
    expect(later.problem).toBeUndefined();
  });

  it('given records waiting and no progress for the stall time, then it is not ready and says how long and how many', () => {
    const stuck = verdict({ lag: 1234, behindSince: T0 + 1_000, now: T0 + 1_000 + STALL });
    expect(stuck).toEqual({
      problem: 'no progress for 60 s with 1234 records waiting',
      behindSince: T0 + 1_000,
    });
  });

  it('given records waiting but recent progress (a steady stream), then it is ready', () => {
    const busy = verdict({
      progress: running({ lastProgressAt: T0 + 599_000 }),
      lag: 40,
      behindSince: T0,
      now: T0 + 600_000,
    });
    expect(busy.problem).toBeUndefined();
  });

  it('given a consumer stuck on records it fetched (lag unknown: nothing committed yet), then the time it has held them counts', () => {
    const holding = running({ lastProgressAt: T0, busySince: T0 + 10_000 });
    expect(verdict({ progress: holding, now: T0 + 10_000 + STALL - 1 }).problem).toBeUndefined();
    expect(verdict({ progress: holding, now: T0 + 10_000 + STALL }).problem).toBe(
      'no progress for 60 s with fetched records unfinished',
    );
  });

  it('given the lag went back to 0, then the waiting clock is forgotten', () => {
    expect(verdict({ lag: 0, behindSince: T0 - 500_000, now: T0 + 500_000 })).toEqual({
      problem: undefined,
      behindSince: undefined,
    });
  });

  it('given a crashed, stopped or not yet joined consumer, then it is not ready and says which', () => {
    expect(
      verdict({ progress: running({ state: 'crashed', crash: 'KafkaJSError: boom (restarting)' }) }).problem,
    ).toBe('crashed: KafkaJSError: boom (restarting)');
    expect(verdict({ progress: running({ state: 'stopped' }) }).problem).toBe('stopped');
    expect(verdict({ progress: running({ state: 'starting' }) }).problem).toBe(
      'not in its consumer group yet',
    );
  });
});

describe('consumerChecks', () => {
  it('names a check per consumer, counts only its own partitions, and remembers since when records wait', async () => {
    let now = T0;
    const progress = running({
      assigned: [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 2 },
      ],
    });
    const admin = {
      committedOffsets: async () => [
        { topic: 't', partition: 0, offset: '10' },
        { topic: 't', partition: 1, offset: '0' }, // another instance's partition, far behind
        { topic: 't', partition: 2, offset: '-1' }, // nothing committed yet: unknown, not counted
      ],
      topicOffsets: async () => [
        { partition: 0, low: '0', high: '13' },
        { partition: 1, low: '0', high: '900' },
        { partition: 2, low: '0', high: '50' },
      ],
    };
    const checks = consumerChecks({
      admin,
      consumers: [{ progress: () => progress }],
      stallAfterMs: STALL,
      now: () => now,
    });
    const check = checks['consumer parley.projection.messages'];
    expect(Object.keys(checks)).toEqual(['consumer parley.projection.messages']);
    await expect(check!()).resolves.toBeUndefined(); // 3 waiting since now
    now += STALL;
    await expect(check!()).rejects.toThrow('no progress for 60 s with 3 records waiting');
  });
});
