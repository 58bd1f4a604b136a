import type { Pool } from 'pg';
import { MicroBatcher } from '@parley/runtime';
import type { ClaimState } from './claim-decision';

export interface NewClaim {
  readonly messageId: string;
  readonly senderId: string;
  readonly conversationId: string;
  readonly sentAtMs: number;
}

/** A claim as the database showed it, with the database's clock at that moment (the lease's clock). */
export interface ClaimReading {
  readonly state: ClaimState;
  readonly nowMs: number;
}

export type ClaimResult = { readonly kind: 'fresh' } | ({ readonly kind: 'existing' } & ClaimReading);

/** The claim this attempt took over: the event it produces carries the first attempt's conversation and time. */
export interface TakenClaim {
  readonly conversationId: string;
  readonly sentAtMs: number;
}

interface ClaimRow {
  readonly message_id: string;
  readonly fresh: boolean;
  readonly sender_id: string | null;
  readonly conversation_id: string | null;
  readonly sent_ms: string | null;
  readonly acked: boolean | null;
  readonly lease_until_ms: string | null;
  readonly now_ms: string;
}

/**
 * The columns of an existing claim, read through the table alias `c`, and the database's clock.
 * The lease end is rounded up and the clock down, so a lease the decision sees as ended is one the
 * takeover statement (`lease_until <= now()`, in microseconds) sees as ended too.
 */
const EXISTING_COLUMNS = `c.sender_id, c.conversation_id, (extract(epoch from c.sent_at) * 1000)::bigint AS sent_ms,
  c.acked, ceil(extract(epoch from c.lease_until) * 1000)::bigint AS lease_until_ms,
  floor(extract(epoch from now()) * 1000)::bigint AS now_ms`;

/**
 * How long an acked mark waits for others to share its statement. The mark is off the send's path
 * (the answer does not wait for it) and the messages projection marks the claim too, so waiting
 * costs only repeats of a messageId and acts by messageId in a message's first moments, which wait
 * for the mark (`visibleMessage`). At everyday rates every send paid a statement and a commit of
 * its own for it.
 */
export const ACK_MARK_LINGER_MS = 200;

/**
 * `message_claims`: one row per messageId, made before MessageSent is produced, so a repeated
 * messageId never produces a second event and gets the first answer back. Claims of concurrent
 * sends are written in one statement, and acks of the sends of ACK_MARK_LINGER_MS in one.
 */
export class MessageClaims {
  private readonly claimBatcher: MicroBatcher<NewClaim, ClaimResult>;
  private readonly ackBatcher: MicroBatcher<string, undefined>;

  constructor(
    private readonly pool: Pool,
    /** How long an attempt may take to produce before another attempt may take the claim over. */
    private readonly leaseMs: number,
  ) {
    this.claimBatcher = new MicroBatcher((claims) => this.claimAll(claims));
    // One ack batch at a time, rows locked in id order: the projector marks the same rows, and
    // batches that lock in arbitrary order deadlock with each other.
    this.ackBatcher = new MicroBatcher(
      async (ids) => {
        await this.pool.query({
          name: 'message_claims_ack',
          text: `UPDATE message_claims SET acked = true
                  WHERE message_id IN (SELECT message_id FROM message_claims
                                        WHERE message_id = ANY($1::text[]) AND NOT acked
                                        ORDER BY message_id FOR UPDATE)`,
          values: [ids],
        });
        return ids.map(() => undefined);
      },
      { serial: true, lingerMs: ACK_MARK_LINGER_MS },
    );
  }

  /** Resolves once every acked mark asked for so far is written (or has failed): before the pool ends. */
  drained(): Promise<void> {
    return this.ackBatcher.drained();
  }

  /** Claims a messageId, or returns the claim that already holds it. */
  claim(claim: NewClaim): Promise<ClaimResult> {
    return this.claimBatcher.submit(claim);
  }

  /** Kafka has the event: the claim's answer is final. */
  async markAcked(messageId: string): Promise<void> {
    await this.ackBatcher.submit(messageId);
  }

  /** The attempt failed (Kafka refused or timed out): the next attempt may take the claim over at once. */
  async release(messageId: string): Promise<void> {
    await this.pool.query(
      'UPDATE message_claims SET lease_until = now() WHERE message_id = $1 AND NOT acked',
      [messageId],
    );
  }

  /** The send was refused before anything was produced: the messageId is free again. */
  async forget(messageId: string): Promise<void> {
    await this.pool.query('DELETE FROM message_claims WHERE message_id = $1 AND NOT acked', [messageId]);
  }

  async get(messageId: string): Promise<ClaimReading> {
    // Joined to one row, so the database's clock comes back even when there is no claim.
    const { rows } = await this.pool.query<ClaimRow>(
      `SELECT $1::text AS message_id, false AS fresh, ${EXISTING_COLUMNS}
         FROM (SELECT 1) one LEFT JOIN message_claims c ON c.message_id = $1`,
      [messageId],
    );
    if (!rows[0]) throw new Error(`reading the claim of ${messageId} returned no row`);
    return readingOf(rows[0]);
  }

  /** Takes over a claim whose attempt failed or whose gateway died; only one taker wins. */
  async takeOver(messageId: string): Promise<TakenClaim | undefined> {
    const { rows } = await this.pool.query<ClaimRow>(
      `UPDATE message_claims c SET lease_until = now() + $2 * interval '1 millisecond'
        WHERE c.message_id = $1 AND NOT c.acked AND c.lease_until <= now()
        RETURNING c.message_id, false AS fresh, ${EXISTING_COLUMNS}`,
      [messageId, this.leaseMs],
    );
    const row = rows[0];
    return row ? { conversationId: row.conversation_id ?? '', sentAtMs: Number(row.sent_ms) } : undefined;
  }

  private async claimAll(claims: readonly NewClaim[]): Promise<ClaimResult[]> {
    // The existing rows are read from the statement's snapshot, so rows inserted by this very
    // statement do not show there: a row with `fresh` is ours, a row with a sender is someone else's.
    // `fresh` is a hashed subplan, not a join of the two CTEs: the planner expects few rows from
    // each and may join them in a nested loop comparing every row with every other (a batch of
    // 2,000 took 1.2 s that way; see the delivered mark in libs/delivery). Rows are inserted in id
    // order: an insert waits for another node's uncommitted insert of the same id, and two batches
    // sharing two ids in opposite orders would wait for each other. A messageId twice in the batch
    // keeps its order of submission (`ord`: PostgreSQL's sort is not stable), so the first claim is
    // the row that lands, as the answers below assume.
    const { rows } = await this.pool.query<ClaimRow>({
      name: 'message_claims_claim',
      text: `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY
           AS t(message_id, sender_id, conversation_id, sent_ms, ord)
       ), inserted AS (
         INSERT INTO message_claims (message_id, sender_id, conversation_id, sent_at, lease_until)
         SELECT message_id, sender_id, conversation_id, to_timestamp(sent_ms::double precision / 1000),
                now() + $5 * interval '1 millisecond'
           FROM input
          ORDER BY message_id, ord
         ON CONFLICT (message_id) DO NOTHING
         RETURNING message_id
       )
       SELECT i.message_id, (i.message_id IN (SELECT message_id FROM inserted)) AS fresh, ${EXISTING_COLUMNS}
         FROM input i
         LEFT JOIN message_claims c ON c.message_id = i.message_id`,
      values: [
        claims.map((c) => c.messageId),
        claims.map((c) => c.senderId),
        claims.map((c) => c.conversationId),
        claims.map((c) => c.sentAtMs),
        this.leaseMs,
      ],
    });
    const byId = new Map(rows.map((row) => [row.message_id, row]));
    // A claim committed by another node while this statement ran conflicts, but is not in this
    // statement's snapshot: read those again.
    const unseen = rows.filter((row) => !row.fresh && row.sender_id === null).map((row) => row.message_id);
    if (unseen.length > 0) {
      const again = await this.pool.query<ClaimRow>(
        `SELECT c.message_id, false AS fresh, ${EXISTING_COLUMNS} FROM message_claims c
          WHERE c.message_id = ANY($1::text[])`,
        [unseen],
      );
      for (const row of again.rows) byId.set(row.message_id, row);
    }
    // One messageId twice in a batch: the first is the claimant, the second waits for its answer.
    const firstClaim = new Map<string, NewClaim>();
    return claims.map((claim): ClaimResult => {
      const row = byId.get(claim.messageId);
      if (!row) throw new Error(`claim of ${claim.messageId} got no answer`);
      const first = firstClaim.get(claim.messageId);
      if (first) {
        const nowMs = Number(row.now_ms);
        const { senderId, conversationId, sentAtMs } = first;
        const state = {
          kind: 'claimed',
          senderId,
          conversationId,
          sentAtMs,
          acked: false,
          leaseUntilMs: nowMs + this.leaseMs,
        } as const;
        return { kind: 'existing', state, nowMs };
      }
      firstClaim.set(claim.messageId, claim);
      // Not fresh and still no row: the claim that conflicted was forgotten meanwhile, so the
      // decision claims again.
      return row.fresh ? { kind: 'fresh' } : { kind: 'existing', ...readingOf(row) };
    });
  }
}

function readingOf(row: ClaimRow): ClaimReading {
  const nowMs = Number(row.now_ms);
  if (row.sender_id === null) return { state: { kind: 'none' }, nowMs };
  return {
    state: {
      kind: 'claimed',
      senderId: row.sender_id,
      conversationId: row.conversation_id ?? '',
      sentAtMs: Number(row.sent_ms),
      acked: row.acked === true,
      leaseUntilMs: Number(row.lease_until_ms),
    },
    nowMs,
  };
}
