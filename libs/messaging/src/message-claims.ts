import type { Pool } from 'pg';
import { MicroBatcher } from '@parley/runtime';

export interface NewClaim {
  readonly messageId: string;
  readonly senderId: string;
  readonly conversationId: string;
  readonly sentAtMs: number;
}

export interface ExistingClaim {
  readonly messageId: string;
  readonly senderId: string;
  readonly conversationId: string;
  readonly sentAtMs: number;
  readonly acked: boolean;
  /** Another attempt is producing the event right now. */
  readonly leased: boolean;
}

export type ClaimResult = { readonly kind: 'fresh' } | ({ readonly kind: 'existing' } & ExistingClaim);

interface ClaimRow {
  readonly message_id: string;
  readonly fresh: boolean;
  readonly sender_id: string | null;
  readonly conversation_id: string | null;
  readonly sent_ms: string | null;
  readonly acked: boolean | null;
  readonly leased: boolean | null;
}

/** The columns of an existing claim, read through the table alias `c`. */
const EXISTING_COLUMNS = `c.sender_id, c.conversation_id, (extract(epoch from c.sent_at) * 1000)::bigint AS sent_ms,
  c.acked, c.lease_until > now() AS leased`;

/**
 * `message_claims`: one row per messageId, made before MessageSent is produced, so a repeated
 * messageId never produces a second event and gets the first answer back. Claims and acks of
 * concurrent sends are written in one statement each.
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
      { serial: true },
    );
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

  async get(messageId: string): Promise<ExistingClaim | undefined> {
    const { rows } = await this.pool.query<ClaimRow>(
      `SELECT c.message_id, false AS fresh, ${EXISTING_COLUMNS} FROM message_claims c WHERE c.message_id = $1`,
      [messageId],
    );
    return rows[0] ? toExisting(rows[0]) : undefined;
  }

  /** Takes over a claim whose attempt failed or whose gateway died; only one taker wins. */
  async takeOver(messageId: string): Promise<ExistingClaim | undefined> {
    const { rows } = await this.pool.query<ClaimRow>(
      `UPDATE message_claims c SET lease_until = now() + $2 * interval '1 millisecond'
        WHERE c.message_id = $1 AND NOT c.acked AND c.lease_until <= now()
        RETURNING c.message_id, false AS fresh, ${EXISTING_COLUMNS}`,
      [messageId, this.leaseMs],
    );
    return rows[0] ? toExisting(rows[0]) : undefined;
  }

  private async claimAll(claims: readonly NewClaim[]): Promise<ClaimResult[]> {
    // The existing rows are read from the statement's snapshot, so rows inserted by this very
    // statement do not show there: a row with `fresh` is ours, a row with a sender is someone else's.
    const { rows } = await this.pool.query<ClaimRow>({
      name: 'message_claims_claim',
      text: `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
           AS t(message_id, sender_id, conversation_id, sent_ms)
       ), inserted AS (
         INSERT INTO message_claims (message_id, sender_id, conversation_id, sent_at, lease_until)
         SELECT message_id, sender_id, conversation_id, to_timestamp(sent_ms::double precision / 1000),
                now() + $5 * interval '1 millisecond'
           FROM input
         ON CONFLICT (message_id) DO NOTHING
         RETURNING message_id
       )
       SELECT i.message_id, (n.message_id IS NOT NULL) AS fresh, ${EXISTING_COLUMNS}
         FROM input i
         LEFT JOIN inserted n ON n.message_id = i.message_id
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
      if (!row || (!row.fresh && row.sender_id === null))
        throw new Error(`claim of ${claim.messageId} got no answer`);
      const first = firstClaim.get(claim.messageId);
      if (first) return { kind: 'existing', ...first, acked: false, leased: true };
      firstClaim.set(claim.messageId, claim);
      return row.fresh ? { kind: 'fresh' } : { kind: 'existing', ...toExisting(row) };
    });
  }
}

function toExisting(row: ClaimRow): ExistingClaim {
  return {
    messageId: row.message_id,
    senderId: row.sender_id ?? '',
    conversationId: row.conversation_id ?? '',
    sentAtMs: Number(row.sent_ms),
    acked: row.acked === true,
    leased: row.leased === true,
  };
}
