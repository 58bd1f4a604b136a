import { InboxCursor } from './inbox-cursor';

describe('InboxCursor', () => {
  it('given a device with no stored position, when items 7, 8, 9 are handled, then it resumes after 9', () => {
    const cursor = new InboxCursor();
    for (const position of [7, 8, 9]) cursor.handled(position);
    expect(cursor.position).toBe(9);
  });

  it('given items handled out of order, then the position waits at the hole until it fills', () => {
    const cursor = new InboxCursor({ position: 3 });
    cursor.handled(5);
    cursor.handled(6);
    expect(cursor.position).toBe(3);
    cursor.handled(4);
    expect(cursor.position).toBe(6);
  });

  it('given a redelivered old item, then the position does not move back', () => {
    const cursor = new InboxCursor({ position: 10 });
    cursor.handled(4);
    expect(cursor.position).toBe(10);
  });

  it('given an item remembered, then it is a duplicate, also after a restart from the stored state', () => {
    const cursor = new InboxCursor();
    cursor.remember(InboxCursor.keyOf('message', 'a'), '2026-01-01T00:00:01.000Z');
    expect(cursor.hasSeen('m:a')).toBe(true);
    expect(cursor.hasSeen(InboxCursor.keyOf('deleted', 'a'))).toBe(false);
    const restarted = new InboxCursor(JSON.parse(JSON.stringify(cursor.toState())));
    expect(restarted.hasSeen('m:a')).toBe(true);
    expect(restarted.lastSentAt).toBe('2026-01-01T00:00:01.000Z');
  });

  it('given edits of one message, then each edit id is an item of its own, apart from the message and its deletion', () => {
    const keys = [
      InboxCursor.keyOf('message', 'a'),
      InboxCursor.keyOf('deleted', 'a'),
      InboxCursor.keyOf('edited', 'a', 'e1'),
      InboxCursor.keyOf('edited', 'a', 'e2'),
    ];
    expect(new Set(keys).size).toBe(4);
    const cursor = new InboxCursor();
    cursor.remember(InboxCursor.keyOf('edited', 'a', 'e1'));
    expect(cursor.hasSeen('e:a:e1')).toBe(true);
    expect(cursor.hasSeen(InboxCursor.keyOf('edited', 'a', 'e2'))).toBe(false);
  });

  it('given more items than the capacity, then the oldest are forgotten first', () => {
    const cursor = new InboxCursor({}, 2);
    for (const id of ['a', 'b', 'c']) cursor.remember(`m:${id}`);
    expect(['a', 'b', 'c'].map((id) => cursor.hasSeen(`m:${id}`))).toEqual([false, true, true]);
  });

  it('given a gap item, then the position moves to its end, past items waiting above it', () => {
    const cursor = new InboxCursor({ position: 2 });
    cursor.handled(9);
    cursor.skipTo(8);
    expect(cursor.position).toBe(9);
  });

  it('keeps the newest sentAt as the start of a backfill', () => {
    const cursor = new InboxCursor();
    cursor.remember('m:b', '2026-01-02T00:00:00.000Z');
    cursor.remember('m:a', '2026-01-01T00:00:00.000Z');
    expect(cursor.lastSentAt).toBe('2026-01-02T00:00:00.000Z');
  });
});
