import { CliError, parseResetTarget } from '@parley/operations';

const NOW = Date.parse('2026-11-26T12:00:00Z');

describe('offsets reset targets', () => {
  it('reads exactly one of the --to options', () => {
    expect(parseResetTarget({ toEarliest: true })).toEqual({ kind: 'earliest' });
    expect(parseResetTarget({ toLatest: true })).toEqual({ kind: 'latest' });
    expect(parseResetTarget({ toOffset: '42' })).toEqual({ kind: 'offset', offset: 42n });
    expect(parseResetTarget({ toTime: '2h' }, NOW)).toEqual({ kind: 'time', timestamp: NOW - 7_200_000 });
    expect(() => parseResetTarget({})).toThrow(CliError);
    expect(() => parseResetTarget({ toEarliest: true, toOffset: '1' })).toThrow('give exactly one of');
  });

  it('refuses offsets that are not whole numbers and times that are not times', () => {
    expect(() => parseResetTarget({ toOffset: '-3' })).toThrow('--to-offset must be a whole number');
    expect(() => parseResetTarget({ toTime: 'yesterday' }, NOW)).toThrow('is not a time');
  });
});
