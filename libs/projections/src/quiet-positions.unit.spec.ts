import { randomUUID } from 'node:crypto';
import type { ParleyEvent } from '@parley/events';
import { sql, type Projection } from './projection';
import { changesRows, QuietPositions } from './quiet-positions';

const added = (conversationId: string): ParleyEvent => ({
  type: 'MemberAdded',
  eventId: randomUUID(),
  occurredAt: 0,
  conversationId,
  userId: 'u',
  addedBy: 'x',
});
const removed = (conversationId: string): ParleyEvent => ({
  type: 'MemberRemoved',
  eventId: randomUUID(),
  occurredAt: 0,
  conversationId,
  userId: 'u',
  removedBy: 'x',
});
const at = (offset: number) => ({ topic: 't', partition: 0, offset: String(offset) });
const onlyAdds: Projection = {
  name: 'adds',
  topics: ['chat.conversations'],
  tables: [],
  apply: (event) => (event.type === 'MemberAdded' ? [sql('INSERT 1')] : []),
};

describe('changesRows', () => {
  it('given a chunk of events the projection ignores, then it changes nothing', () => {
    expect(
      changesRows(
        onlyAdds,
        [removed('c'), removed('d')].map((event, i) => ({ event, position: at(i) })),
      ),
    ).toBe(false);
  });

  it('given one event it applies among ignored ones, then the chunk changes rows', () => {
    const events = [removed('c'), added('c'), removed('d')];
    expect(
      changesRows(
        onlyAdds,
        events.map((event, i) => ({ event, position: at(i) })),
      ),
    ).toBe(true);
  });

  it('given a chunk projection, then its own answer for the whole chunk decides', () => {
    const chunky: Projection = {
      ...onlyAdds,
      applyChunk: (entries) => (entries.length > 2 ? [sql('X')] : []),
    };
    const entries = [removed('c'), removed('d'), removed('e')].map((event, i) => ({
      event,
      position: at(i),
    }));
    expect(changesRows(chunky, entries)).toBe(true);
    expect(changesRows(chunky, entries.slice(1))).toBe(false);
  });
});

describe('QuietPositions', () => {
  it('given quiet chunks of two partitions, when taken, then the furthest position of each comes out once', () => {
    const quiet = new QuietPositions();
    quiet.passed('t', 0, 5n);
    quiet.passed('t', 0, 9n);
    quiet.passed('t', 0, 7n);
    quiet.passed('t', 1, 3n);
    expect(quiet.take()).toEqual([
      { topic: 't', partition: 0, nextOffset: 9n },
      { topic: 't', partition: 1, nextOffset: 3n },
    ]);
    expect(quiet.size).toBe(0);
  });

  it('given a transaction that wrote a position at or past the quiet one, then nothing is left to write', () => {
    const quiet = new QuietPositions();
    quiet.passed('t', 0, 5n);
    quiet.written('t', 0, 6n);
    expect(quiet.take()).toEqual([]);
  });

  it('given a transaction that wrote an earlier position, then the quiet one is still written', () => {
    const quiet = new QuietPositions();
    quiet.passed('t', 0, 9n);
    quiet.written('t', 0, 6n);
    expect(quiet.take()).toEqual([{ topic: 't', partition: 0, nextOffset: 9n }]);
  });
});
