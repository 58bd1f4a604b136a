import type { PoolClient } from 'pg';
import type { EventSerde } from '@parley/events';
import type { IncomingRecord } from '@parley/kafka';
import { MAX_HELD_RECORDS, ShadowApplier, partitionKey } from './shadow-applier';

// Records above a partition's limit are only held: neither the database nor the serde is reached.
const unused = {} as PoolClient;
const record = (partition: number, offset: number): IncomingRecord => ({
  topic: 't',
  partition,
  offset: String(offset),
  timestamp: '0',
  key: null,
  value: null,
  headers: {},
});
const applier = () =>
  new ShadowApplier(
    [unused],
    { name: 'p', topics: [], tables: [], apply: () => [] },
    {} as EventSerde,
    () => true,
    () => undefined,
  );

describe('ShadowApplier (holding records for verify)', () => {
  it('counts a partition as reached when a held record lies at or beyond the target (compaction gaps)', async () => {
    const a = applier();
    a.track('t', 0, 5n, 10n);
    a.track('t', 1, 0n, 0n);
    await a.accept([record(0, 12)]);
    await a.close();
    const targets = new Map([
      [partitionKey('t', 0), 10n],
      [partitionKey('t', 1), 1n],
    ]);
    expect(a.reached(targets)).toEqual({ done: false, behind: ['t#1 at 0 of 1'] });
    expect(a.reached(new Map([[partitionKey('t', 0), 10n]]))).toEqual({ done: true, behind: [] });
  });

  it('gives up with what to do when the live projection is too far behind to verify', async () => {
    const a = applier();
    a.track('t', 0, 0n, 0n);
    await a.accept(Array.from({ length: MAX_HELD_RECORDS + 1 }, (_, i) => record(0, i)));
    const hint = /more than 200,000 records behind the topics: let it catch up/;
    await expect(a.close()).rejects.toThrow(hint);
    expect(() => a.reached(new Map())).toThrow(hint);
  });
});
