import { DomainError, type SendRequest } from '@parley/domain';
import type { ParleyEvent } from '@parley/events';
import type { ClaimState } from './claim-decision';
import type { ClaimReading, ClaimResult, NewClaim, TakenClaim } from './message-claims';
import { MessageService, type MessageServiceDeps } from './message-service';

const LEASE_MS = 40_000;
const T0 = 1_700_000_000_000;

type Row = Omit<Extract<ClaimState, { kind: 'claimed' }>, 'kind'>;

/** A database round trip: lets timers run, so a send that loops without waiting fails by timeout instead of hanging. */
const roundTrip = () => new Promise((resolve) => setImmediate(resolve));

/** message_claims in memory, by the rules of its SQL statements, on a clock the test moves. */
class FakeClaims {
  nowMs = T0;
  readonly rows = new Map<string, Row>();

  async claim(claim: NewClaim): Promise<ClaimResult> {
    await roundTrip();
    if (this.rows.has(claim.messageId)) return { kind: 'existing', ...this.read(claim.messageId) };
    const { senderId, conversationId, sentAtMs } = claim;
    this.rows.set(claim.messageId, {
      senderId,
      conversationId,
      sentAtMs,
      acked: false,
      leaseUntilMs: this.nowMs + LEASE_MS,
    });
    return { kind: 'fresh' };
  }

  async get(messageId: string): Promise<ClaimReading> {
    await roundTrip();
    return this.read(messageId);
  }

  async takeOver(messageId: string): Promise<TakenClaim | undefined> {
    await roundTrip();
    const row = this.rows.get(messageId);
    if (!row || row.acked || row.leaseUntilMs > this.nowMs) return undefined;
    this.rows.set(messageId, { ...row, leaseUntilMs: this.nowMs + LEASE_MS });
    return { conversationId: row.conversationId, sentAtMs: row.sentAtMs };
  }

  async release(messageId: string): Promise<void> {
    await roundTrip();
    const row = this.rows.get(messageId);
    if (row && !row.acked) this.rows.set(messageId, { ...row, leaseUntilMs: this.nowMs });
  }

  async forget(messageId: string): Promise<void> {
    await roundTrip();
    if (this.rows.get(messageId)?.acked === false) this.rows.delete(messageId);
  }

  async markAcked(messageId: string): Promise<void> {
    await roundTrip();
    const row = this.rows.get(messageId);
    if (row) this.rows.set(messageId, { ...row, acked: true });
  }

  private read(messageId: string): ClaimReading {
    const row = this.rows.get(messageId);
    return { state: row ? { kind: 'claimed', ...row } : { kind: 'none' }, nowMs: this.nowMs };
  }
}

/** A gateway node: its own MessageService over the shared claims, members and Kafka. */
function gateway(claims: FakeClaims, members: Set<string>, published: ParleyEvent[], kafkaDown = false) {
  const deps = {
    pool: {},
    publisher: {
      publish: async (events: readonly ParleyEvent[]) => {
        if (kafkaDown) throw new Error('Kafka timed out');
        published.push(...events);
      },
    },
    claims,
    directory: {
      isMember: async (conversationId: string, userId: string) => members.has(`${conversationId}/${userId}`),
    },
    rateLimiter: { take: async () => undefined },
    now: () => claims.nowMs,
  } as unknown as MessageServiceDeps;
  return new MessageService(deps);
}

const toG1 = (messageId: string, text = 'hello'): SendRequest => ({
  messageId,
  target: { kind: 'conversation', conversationId: 'g1' },
  text,
});

const errorOf = async (promise: Promise<unknown>): Promise<DomainError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
};

describe('MessageService send, claimed messageIds', () => {
  let claims: FakeClaims;
  let members: Set<string>;
  let published: ParleyEvent[];

  beforeEach(() => {
    claims = new FakeClaims();
    members = new Set(['g1/ada']);
    published = [];
  });

  /** Ada's first attempt claimed m1 at T0, then its gateway died before Kafka had the event. */
  const firstAttemptDied = () => {
    claims.rows.set('m1', {
      senderId: 'ada',
      conversationId: 'g1',
      sentAtMs: T0,
      acked: false,
      leaseUntilMs: T0 + LEASE_MS,
    });
    claims.nowMs = T0 + LEASE_MS + 1;
  };

  describe('given a first attempt whose lease ran out and a sender still in the conversation', () => {
    it('when the sender repeats the send then this attempt takes over and sends the first message', async () => {
      firstAttemptDied();
      const answer = await gateway(claims, members, published).send('ada', toG1('m1'));
      expect(answer).toEqual({
        messageId: 'm1',
        conversationId: 'g1',
        status: 'sent',
        sentAt: new Date(T0).toISOString(),
      });
      expect(published).toEqual([
        expect.objectContaining({ type: 'MessageSent', messageId: 'm1', senderId: 'ada', occurredAt: T0 }),
      ]);
    });
  });

  describe('given a first attempt whose lease ran out and a sender removed from the conversation since', () => {
    it('when the sender repeats the send then membership is checked again and the send is refused as a fresh one', async () => {
      firstAttemptDied();
      members.delete('g1/ada');
      const node = gateway(claims, members, published);

      const retried = await errorOf(node.send('ada', toG1('m1')));
      const fresh = await errorOf(node.send('ada', toG1('m2')));

      expect(published).toEqual([]);
      expect({ code: retried.code, message: retried.message }).toEqual({
        code: fresh.code,
        message: fresh.message,
      });
      expect(retried.code).toBe('NOT_FOUND');
      // Released, not forgotten: the messageId stays Ada's, and her next repeat may try again at once.
      expect(claims.rows.get('m1')).toMatchObject({
        senderId: 'ada',
        acked: false,
        leaseUntilMs: claims.nowMs,
      });
      // The fresh refusal, by contrast, frees its messageId.
      expect(claims.rows.has('m2')).toBe(false);
    });
  });

  describe('given a first attempt that Kafka refused', () => {
    it('when the sender repeats at once then the released claim is taken over without waiting out the lease', async () => {
      await expect(gateway(claims, members, published, true).send('ada', toG1('m1'))).rejects.toThrow(
        'Kafka timed out',
      );
      expect(claims.rows.get('m1')?.leaseUntilMs).toBe(T0);
      claims.nowMs += 5;

      const answer = await gateway(claims, members, published).send('ada', toG1('m1'));
      expect(answer.sentAt).toBe(new Date(T0).toISOString());
      expect(published).toEqual([expect.objectContaining({ messageId: 'm1', occurredAt: T0 })]);
    });
  });

  describe('given another attempt holding the lease', () => {
    it('when the sender repeats the send then it waits and answers the first result once Kafka has it', async () => {
      await claims.claim({ messageId: 'm1', senderId: 'ada', conversationId: 'g1', sentAtMs: T0 });
      claims.nowMs += 1_000;

      const repeat = gateway(claims, members, published).send('ada', toG1('m1', 'again'));
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(claims.rows.get('m1')?.leaseUntilMs).toBe(T0 + LEASE_MS); // not taken over
      await claims.markAcked('m1');

      expect((await repeat).sentAt).toBe(new Date(T0).toISOString());
      expect(published).toEqual([]);
    });
  });

  describe("given another user's claim on the messageId", () => {
    it('when Bob sends with it then he is refused with MESSAGE_ID_TAKEN', async () => {
      firstAttemptDied();
      members.add('g1/bob');
      const error = await errorOf(gateway(claims, members, published).send('bob', toG1('m1')));
      expect(error.code).toBe('MESSAGE_ID_TAKEN');
      expect(published).toEqual([]);
    });
  });
});

describe('MessageService send, one session sending concurrently', () => {
  /** Claims whose answer for `slowId` waits until `release` is called. */
  function slowClaims(slowId: string) {
    const claims = new FakeClaims();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const claim = claims.claim.bind(claims);
    claims.claim = async (newClaim: NewClaim) => {
      if (newClaim.messageId === slowId) await held;
      return claim(newClaim);
    };
    return { claims, release };
  }

  /** A node whose publisher honours the order it is given, as EventPublisher does. */
  function orderedGateway(claims: FakeClaims, published: string[]) {
    const deps = {
      pool: {},
      publisher: {
        publish: async (
          events: readonly ParleyEvent[],
          order?: { after: Promise<void>; handedOver(): void },
        ) => {
          await order?.after;
          for (const event of events) if (event.type === 'MessageSent') published.push(event.messageId);
          order?.handedOver();
        },
      },
      claims,
      directory: { isMember: async () => true },
      rateLimiter: { take: async () => undefined },
      now: () => claims.nowMs,
    } as unknown as MessageServiceDeps;
    return new MessageService(deps);
  }

  describe('given a first message whose claim is slow and a second whose claim is quick', () => {
    it('when one session sends both to one conversation then Kafka gets them in the order sent', async () => {
      const { claims, release } = slowClaims('m1');
      const published: string[] = [];
      const node = orderedGateway(claims, published);

      const first = node.send('ada', toG1('m1'), { session: 's1' });
      const second = node.send('ada', toG1('m2'), { session: 's1' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(published).toEqual([]); // m2 is ready but waits for m1

      release();
      await Promise.all([first, second]);
      expect(published).toEqual(['m1', 'm2']);
    });

    it('when the two messages come from two sessions then the quick one does not wait', async () => {
      const { claims, release } = slowClaims('m1');
      const published: string[] = [];
      const node = orderedGateway(claims, published);

      const first = node.send('ada', toG1('m1'), { session: 's1' });
      await node.send('ada', toG1('m2'), { session: 's2' });
      expect(published).toEqual(['m2']);

      release();
      await first;
      expect(published).toEqual(['m2', 'm1']);
    });
  });

  describe('given a first message that is refused', () => {
    it('when the session sent a second one behind it then the second still goes', async () => {
      const claims = new FakeClaims();
      claims.rows.set('m1', {
        senderId: 'bob',
        conversationId: 'g1',
        sentAtMs: T0,
        acked: true,
        leaseUntilMs: T0,
      });
      const published: string[] = [];
      const node = orderedGateway(claims, published);

      const taken = node.send('ada', toG1('m1'), { session: 's1' });
      const after = node.send('ada', toG1('m2'), { session: 's1' });

      await expect(taken).rejects.toMatchObject({ code: 'MESSAGE_ID_TAKEN' });
      await after; // would time out if the refused send kept its place in the line
      expect(published).toEqual(['m2']);
    });
  });
});
