import { e2eOptions } from './e2e-options';

describe('e2eOptions (npm run bench:e2e -- ...)', () => {
  it('given no option, then the full run of the issue: five rates, 50 and 1,000 pairs, 10 s, 10,000', () => {
    expect(e2eOptions([])).toEqual({
      scenarios: ['open-loop', 'one-connection', 'offline', 'sessions'],
      rates: [50, 200, 1_000, 2_000, 5_000],
      pairs: [50, 1_000],
      seconds: 10,
      warmUpSeconds: 60,
      oneConnectionRate: 2_000,
      offlineMessages: 10_000,
      sessions: 10_000,
    });
  });

  it('given --quick, then every scenario, briefly', () => {
    expect(e2eOptions(['--quick'])).toMatchObject({
      scenarios: ['open-loop', 'one-connection', 'offline', 'sessions'],
      seconds: 2,
      warmUpSeconds: 6,
      offlineMessages: 1_000,
      sessions: 1_000,
    });
  });

  it('given --quick and explicit options, then the explicit ones win', () => {
    expect(
      e2eOptions(['--quick', '--rates', '50', '--pairs', '1000', '--seconds', '60', '--warm-up', '180']),
    ).toMatchObject({
      rates: [50],
      pairs: [1_000],
      seconds: 60,
      warmUpSeconds: 180,
    });
  });

  it('given a scenario list, then only those run', () => {
    expect(e2eOptions(['--scenarios', 'sessions,offline']).scenarios).toEqual(['sessions', 'offline']);
  });

  it('given an unknown scenario or a rate that is not a positive number, then a clear error', () => {
    expect(() => e2eOptions(['--scenarios', 'open-loop,memory'])).toThrow(
      'unknown scenario memory: choose from open-loop, one-connection, offline, sessions',
    );
    expect(() => e2eOptions(['--rates', '200,fast'])).toThrow('not a positive number: fast');
    expect(() => e2eOptions(['--seconds', '0'])).toThrow('not a positive number: 0');
  });
});
