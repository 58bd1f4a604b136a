import { DEFAULT_RESTART_BACKOFF, afterCrash } from './crash-recovery';

const half = () => 0.5;

describe('afterCrash', () => {
  it('rebuilds a consumer kafkajs gave up on, after a delay that grows with each attempt in a row', () => {
    // Given a crash kafkajs does not restart from, when asked three times in a row
    const delays = [0, 1, 2].map((previousAttempts) =>
      afterCrash(
        { restartedByKafkajs: false, stopping: false, previousAttempts, upForMs: 50 },
        { initialMs: 100, maxMs: 1_000 },
        half,
      ),
    );
    // Then each is a rebuild, later ones waiting longer (jitter between half and all of the cap)
    expect(delays).toEqual([
      { kind: 'rebuild', attempt: 1, delayMs: 75 },
      { kind: 'rebuild', attempt: 2, delayMs: 150 },
      { kind: 'rebuild', attempt: 3, delayMs: 300 },
    ]);
  });

  it('keeps counting when the rebuilt consumer never joined its group', () => {
    const action = afterCrash(
      { restartedByKafkajs: false, stopping: false, previousAttempts: 3, upForMs: undefined },
      { initialMs: 100, maxMs: 1_000 },
      half,
    );
    expect(action).toEqual({ kind: 'rebuild', attempt: 4, delayMs: 600 });
  });

  it('starts over from the shortest delay after a consumer stayed up for the longest one', () => {
    // Given five rebuilds before, when the consumer had then run for the cap (1 s) before crashing
    const action = afterCrash(
      { restartedByKafkajs: false, stopping: false, previousAttempts: 5, upForMs: 1_000 },
      { initialMs: 100, maxMs: 1_000 },
      half,
    );
    // Then it is a first attempt again
    expect(action).toEqual({ kind: 'rebuild', attempt: 1, delayMs: 75 });
  });

  it('waits at most the cap, however many attempts failed', () => {
    const action = afterCrash(
      { restartedByKafkajs: false, stopping: false, previousAttempts: 40, upForMs: 0 },
      DEFAULT_RESTART_BACKOFF,
      () => 1,
    );
    expect(action).toEqual({ kind: 'rebuild', attempt: 41, delayMs: DEFAULT_RESTART_BACKOFF.maxMs });
  });

  it('leaves the consumer to kafkajs when kafkajs restarts it itself', () => {
    const facts = { stopping: false, previousAttempts: 0, upForMs: 5_000 };
    expect(afterCrash({ ...facts, restartedByKafkajs: true })).toEqual({
      kind: 'leave',
      why: 'kafkajs restarts it',
    });
  });

  it('does nothing while the runner is stopping, whatever kafkajs does', () => {
    for (const restartedByKafkajs of [true, false])
      expect(afterCrash({ restartedByKafkajs, stopping: true, previousAttempts: 0, upForMs: 0 })).toEqual({
        kind: 'leave',
        why: 'stopping',
      });
  });
});
