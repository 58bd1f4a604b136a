import type { IncomingRecord } from '@parley/kafka';
import {
  CliError,
  eventLine,
  formatProgress,
  parseReadStart,
  parseTime,
  passes,
  redriveRecord,
  resolveEventTypes,
} from '@parley/operations';

const NOW = Date.parse('2026-11-26T12:00:00Z');

describe('CLI arguments', () => {
  it('reads a start point from at most one of the --from options', () => {
    expect(parseReadStart({}, { kind: 'end' })).toEqual({ kind: 'end' });
    expect(parseReadStart({ fromOffset: '42' }, { kind: 'end' })).toEqual({ kind: 'offset', offset: 42n });
    expect(parseReadStart({ fromTime: '15m' }, { kind: 'end' }, NOW)).toEqual({
      kind: 'time',
      timestamp: NOW - 15 * 60_000,
    });
    expect(() => parseReadStart({ fromOffset: '1', fromBeginning: true }, { kind: 'end' })).toThrow(CliError);
    expect(() => parseReadStart({ fromOffset: '-3' }, { kind: 'end' })).toThrow('whole number');
  });

  it('takes ISO-8601 times and durations back from now, and refuses the rest', () => {
    expect(parseTime('2026-11-26T10:00:00Z', NOW)).toBe(Date.parse('2026-11-26T10:00:00Z'));
    expect(parseTime('2h', NOW)).toBe(NOW - 7_200_000);
    expect(() => parseTime('yesterday', NOW)).toThrow('is not a time');
    expect(() => parseTime('2027-01-01T00:00:00Z', NOW)).toThrow('in the future');
  });

  it('checks event types against the catalogue and the topic', () => {
    expect(resolveEventTypes(['MessageSent'], 'chat.messages')).toEqual(new Set(['MessageSent']));
    expect(() => resolveEventTypes(['MessageSent'], 'chat.users')).toThrow('are on chat.messages');
    expect(() => resolveEventTypes(['Nope'])).toThrow('unknown event type "Nope"');
  });
});

describe('progress', () => {
  it('shows count, share, rate and time left', () => {
    expect(formatProgress(25_000, 100_000, 500, 'events')).toBe(
      '25,000 / 100,000 events (25%) · 50,000/s · ETA 2s',
    );
    expect(formatProgress(10, undefined, 1_000, 'records')).toBe('10 records · 10/s');
  });
});

const record = (headers: Record<string, string> = {}): IncomingRecord => ({
  topic: 'p.chat.users.dlq',
  partition: 0,
  offset: '7',
  timestamp: String(NOW),
  key: Buffer.from('u1'),
  value: Buffer.from('x'),
  headers,
});

describe('event lines and filters', () => {
  it('keeps undecodable records visible with their reason', () => {
    const line = eventLine(record(), { error: new Error('bad magic byte') });
    expect(line).toMatchObject({ key: 'u1', offset: '7', error: 'Error: bad magic byte' });
    expect(passes({ key: 'u1' }, line)).toBe(true);
    expect(passes({ key: 'u2' }, line)).toBe(false);
    expect(passes({ types: new Set(['UserRegistered']) }, line)).toBe(false);
  });
});

describe('re-drive', () => {
  it('sends a dead letter back to its topic for the group that failed it, without the DLQ headers', () => {
    const out = redriveRecord(
      record({
        'parley.dlq.original-topic': 'p.chat.users',
        'parley.dlq.group': 'p.parley.projection.users',
        'parley.dlq.error': 'boom',
        trace: 'abc',
      }),
    );
    expect(out).toEqual({
      topic: 'p.chat.users',
      key: 'u1',
      value: Buffer.from('x'),
      headers: {
        trace: 'abc',
        'parley.redrive.group': 'p.parley.projection.users',
        'parley.redrive.from': 'p.chat.users.dlq/0/7',
      },
    });
  });
});
