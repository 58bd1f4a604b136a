import { decideClaim, waitMs, type ClaimState } from './claim-decision';

const LEASE_MS = 40_000;
const T0 = 1_700_000_000_000;

/** Ada's claim on g1, made at T0 by an attempt that holds the lease for LEASE_MS. */
const adasClaim = (change: Partial<Extract<ClaimState, { kind: 'claimed' }>> = {}): ClaimState => ({
  kind: 'claimed',
  senderId: 'ada',
  conversationId: 'g1',
  sentAtMs: T0,
  acked: false,
  leaseUntilMs: T0 + LEASE_MS,
  ...change,
});

const ada = (nowMs: number, waits = 0) => ({ senderId: 'ada', nowMs, waits });

describe('decideClaim', () => {
  describe('given no claim (never made, or the first attempt was refused and forgotten)', () => {
    it('when an attempt looks then it claims anew', () => {
      expect(decideClaim({ kind: 'none' }, ada(T0))).toEqual({ do: 'claim' });
    });
  });

  describe('given an attempt producing under its lease', () => {
    const held = adasClaim();

    it('when a repeat looks before the lease ends then it waits for that attempt', () => {
      expect(decideClaim(held, ada(T0 + 1))).toEqual({ do: 'wait', ms: 10 });
      expect(decideClaim(held, ada(T0 + LEASE_MS - 1))).toEqual({ do: 'wait', ms: 10 });
    });

    it('when the lease has run out (the gateway died) then the repeat takes the claim over', () => {
      expect(decideClaim(held, ada(T0 + LEASE_MS))).toEqual({ do: 'take-over' });
      expect(decideClaim(held, ada(T0 + LEASE_MS + 5_000))).toEqual({ do: 'take-over' });
    });
  });

  describe('given a second attempt that took the expired claim over', () => {
    // The takeover statement restarts the lease from its own clock.
    const takenAt = T0 + LEASE_MS + 3;
    const takenOver = adasClaim({ leaseUntilMs: takenAt + LEASE_MS });

    it('when a third attempt looks then it waits for the second instead of producing a second event', () => {
      expect(decideClaim(takenOver, ada(takenAt + 1))).toEqual({ do: 'wait', ms: 10 });
    });

    it('when the second attempt dies too then the next one takes over once its lease ends', () => {
      expect(decideClaim(takenOver, ada(takenAt + LEASE_MS))).toEqual({ do: 'take-over' });
    });
  });

  describe('given a claim released after Kafka refused the event', () => {
    // Release ends the lease at the database's now, long before the lease would have run out.
    const releasedAt = T0 + 30_000;
    const released = adasClaim({ leaseUntilMs: releasedAt });

    it('when a repeat looks right after then it takes over at once, without waiting out the lease', () => {
      expect(decideClaim(released, ada(releasedAt))).toEqual({ do: 'take-over' });
      expect(decideClaim(released, ada(releasedAt + 1))).toEqual({ do: 'take-over' });
    });
  });

  describe('given a claim that Kafka acknowledged', () => {
    it('when the sender repeats it then the first result is the answer, whatever the lease', () => {
      const first = { do: 'answer', conversationId: 'g1', sentAtMs: T0 };
      expect(decideClaim(adasClaim({ acked: true }), ada(T0 + 1))).toEqual(first);
      expect(decideClaim(adasClaim({ acked: true }), ada(T0 + LEASE_MS * 10))).toEqual(first);
    });
  });

  describe("given another user's claim on the messageId", () => {
    it.each([
      ['held', adasClaim()],
      ['expired', adasClaim({ leaseUntilMs: T0 - 1 })],
      ['acked', adasClaim({ acked: true })],
    ])('when Bob sends with it (%s) then he is refused and learns nothing of it', (_, state) => {
      expect(decideClaim(state, { senderId: 'bob', nowMs: T0 + 1, waits: 0 })).toEqual({
        do: 'refuse-taken',
      });
    });
  });

  describe('given an attempt that keeps waiting on a held lease', () => {
    it('when it has waited n times then the next wait doubles from 10 ms and stops growing at 200 ms', () => {
      const held = adasClaim();
      const waits = [0, 1, 2, 3, 4, 5, 6, 50].map((n) => decideClaim(held, ada(T0 + 1, n)));
      expect(waits).toEqual([10, 20, 40, 80, 160, 200, 200, 200].map((ms) => ({ do: 'wait', ms })));
      expect(waitMs(2_000)).toBe(200);
    });
  });
});
