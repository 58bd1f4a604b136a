import { decideOnRefusal, planSends, type OutboxEntry } from './outbox-plan';

const entry = (order: number, conversationId: string, extra: Partial<OutboxEntry> = {}): OutboxEntry => ({
  messageId: `m${order}`,
  conversationId,
  text: `text ${order}`,
  order,
  createdAt: '2026-01-01T00:00:00.000Z',
  attempts: 0,
  notBefore: 0,
  ...extra,
});
const ids = (entries: readonly OutboxEntry[]) => entries.map((e) => e.messageId);
const backoff = { initialMs: 1_000, maxMs: 8_000 };

describe('planSends', () => {
  it('given messages of two conversations, when nothing is in flight, then the oldest of each goes', () => {
    const plan = planSends([entry(3, 'b'), entry(1, 'a'), entry(2, 'a'), entry(4, 'b')], new Set(), 0, {
      maxInFlight: 10,
    });
    expect(ids(plan.send)).toEqual(['m1', 'm3']);
  });

  it('given the head of a conversation in flight, then nothing else of it goes', () => {
    const plan = planSends([entry(1, 'a'), entry(2, 'a'), entry(3, 'b')], new Set(['m1']), 0, {
      maxInFlight: 10,
    });
    expect(ids(plan.send)).toEqual(['m3']);
  });

  it('given a failed head, then the next message of its conversation goes', () => {
    const failure = { code: 'TEXT_TOO_LONG', message: 'too long' };
    const plan = planSends([entry(1, 'a', { failure }), entry(2, 'a')], new Set(), 0, { maxInFlight: 10 });
    expect(ids(plan.send)).toEqual(['m2']);
  });

  it('given a head that waits, then its conversation waits (order kept) and the plan wakes at its time', () => {
    const plan = planSends(
      [entry(1, 'a', { notBefore: 500 }), entry(2, 'a'), entry(3, 'b')],
      new Set(),
      100,
      {
        maxInFlight: 10,
      },
    );
    expect(ids(plan.send)).toEqual(['m3']);
    expect(plan.wakeAt).toBe(500);
  });

  it('given the user is paused by the rate limit, then nothing goes until the pause ends', () => {
    const plan = planSends([entry(1, 'a'), entry(2, 'b')], new Set(), 100, {
      maxInFlight: 10,
      pausedUntil: 900,
    });
    expect(plan.send).toEqual([]);
    expect(plan.wakeAt).toBe(900);
  });

  it('given the in-flight cap is reached, then no more conversations start', () => {
    const plan = planSends([entry(1, 'a'), entry(2, 'b'), entry(3, 'c')], new Set(['x']), 0, {
      maxInFlight: 2,
    });
    expect(ids(plan.send)).toEqual(['m1']);
  });
});

describe('decideOnRefusal', () => {
  it('given RATE_LIMITED with retryAfterMs, then the message and the whole user wait that long', () => {
    expect(
      decideOnRefusal(entry(1, 'a'), { code: 'RATE_LIMITED', retryAfterMs: 1_500 }, 10_000, backoff),
    ).toEqual({
      kind: 'retry',
      notBefore: 11_500,
      pauseAllUntil: 11_500,
    });
  });

  it('given UNAVAILABLE without retryAfterMs, then it is retried after backoff that grows with attempts', () => {
    const first = decideOnRefusal(entry(1, 'a'), { code: 'UNAVAILABLE' }, 0, backoff, () => 1);
    const third = decideOnRefusal(
      entry(1, 'a', { attempts: 2 }),
      { code: 'UNAVAILABLE' },
      0,
      backoff,
      () => 1,
    );
    expect(first).toEqual({ kind: 'retry', notBefore: 1_000 });
    expect(third).toEqual({ kind: 'retry', notBefore: 4_000 });
  });

  it.each(['TEXT_TOO_LONG', 'NOT_FOUND', 'MESSAGE_ID_TAKEN', 'INVALID_TEXT', 'SOMETHING_NEW'])(
    'given %s, then retrying cannot fix it and the message fails',
    (code) => {
      expect(decideOnRefusal(entry(1, 'a'), { code }, 0, backoff)).toEqual({ kind: 'fail' });
    },
  );
});
