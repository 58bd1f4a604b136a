import { DEFAULT_RESTART_POLICY, NO_CRASHES, decideRestart, type CrashHistory } from './restart-policy';

describe('decideRestart (the stack supervisor’s restart policy)', () => {
  const crash = (history: CrashHistory, uptimeMs = 5_000) =>
    decideRestart({ stopping: false, uptimeMs, history });

  it('given a service that never crashed, when it dies, then it is restarted after 1 s', () => {
    expect(crash(NO_CRASHES)).toEqual({ restart: true, delayMs: 1_000, history: { inARow: 1, total: 1 } });
  });

  it('given repeated crashes, when each dies soon after its start, then the wait doubles up to 30 s', () => {
    const delays: number[] = [];
    let history = NO_CRASHES;
    for (let i = 0; i < 8; i++) {
      const decision = crash(history, 200);
      if (!decision.restart) throw new Error('expected a restart');
      delays.push(decision.delayMs);
      history = decision.history;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(history).toEqual({ inARow: 8, total: 8 });
  });

  it('given a long series of crashes, then the wait stays at the cap (no overflow)', () => {
    expect(crash({ inARow: 5_000, total: 5_000 })).toMatchObject({ delayMs: 30_000 });
  });

  it('given a service that ran for a minute before it died, then the backoff starts over', () => {
    const afterLongRun = crash({ inARow: 6, total: 9 }, DEFAULT_RESTART_POLICY.resetAfterMs);
    expect(afterLongRun).toEqual({ restart: true, delayMs: 1_000, history: { inARow: 1, total: 10 } });
    // Just under a minute is not long enough.
    expect(crash({ inARow: 6, total: 9 }, 59_999)).toMatchObject({ delayMs: 30_000 });
  });

  it('given the supervisor is stopping (Ctrl-C, or it asked the service to stop), then nothing is restarted', () => {
    expect(decideRestart({ stopping: true, uptimeMs: 10, history: { inARow: 3, total: 3 } })).toEqual({
      restart: false,
    });
  });

  it('given another policy, then its numbers apply', () => {
    const policy = { initialDelayMs: 50, maxDelayMs: 120, resetAfterMs: 1_000 };
    const first = decideRestart({ stopping: false, uptimeMs: 10, history: NO_CRASHES }, policy);
    expect(first).toMatchObject({ delayMs: 50 });
    const third = decideRestart({ stopping: false, uptimeMs: 10, history: { inARow: 2, total: 2 } }, policy);
    expect(third).toMatchObject({ delayMs: 120 });
  });
});
