import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import {
  DomainError,
  EDIT_WINDOW_MS_DEFAULT,
  checkEdit,
  directConversationId,
  notFound,
  type DeleteRequest,
  type EditRequest,
  type ReadRequest,
  type SendRequest,
} from '@parley/domain';
import type { ParleyEvent } from '@parley/events';
import type { Logger } from '@parley/logging';
import type { EventPublisher } from '@parley/publishing';
import { waitForReadModel } from '@parley/read-models';
import type { Directory } from './directory';
import { decideClaim, type ClaimDecision } from './claim-decision';
import type { ClaimReading, MessageClaims } from './message-claims';
import type { SendRateLimiter } from './send-rate-limiter';
import { SendLines, type SendTurn } from './send-lines';

/** PROTOCOL §2: the answer to a send, the same every time the messageId is sent. */
export interface SendAnswer {
  readonly messageId: string;
  readonly conversationId: string;
  readonly status: 'sent';
  readonly sentAt: string;
}

/** PROTOCOL §2.7: the answer to an edit; a retry with the same editId gets the first one's. */
export interface EditAnswer {
  readonly messageId: string;
  readonly conversationId: string;
  readonly editId: string;
  readonly editedAt: string;
}

export interface MessageServiceDeps {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
  readonly claims: MessageClaims;
  readonly directory: Directory;
  readonly rateLimiter: SendRateLimiter;
  /** Per-user limits of read receipts and typing notices (none when absent). */
  readonly readLimiter?: SendRateLimiter;
  readonly typingLimiter?: SendRateLimiter;
  /** Where typing notices go (live only, never stored); without it they are checked and dropped. */
  readonly onTyping?: (conversationId: string, userId: string) => Promise<void>;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** How long after sending the sender may edit (EDIT_WINDOW_MS; default 24 h). */
  readonly editWindowMs?: number;
}

/**
 * How long an act by messageId waits for the claim's acked mark (due ACK_MARK_LINGER_MS after Kafka's
 * ack, or when the projector has the message) before it answers "not found".
 */
const ACK_WAIT_MS = 5_000;

interface InFlight {
  readonly senderId: string;
  readonly answer: Promise<SendAnswer>;
}

/** The conversation a send goes to (a direct one's id follows from its two users). */
const conversationOf = (senderId: string, { target }: SendRequest): string =>
  target.kind === 'recipient' ? directConversationId(senderId, target.recipientId) : target.conversationId;

const answerOf = (messageId: string, conversationId: string, sentAtMs: number): SendAnswer => ({
  messageId,
  conversationId,
  status: 'sent',
  sentAt: new Date(sentAtMs).toISOString(),
});

const messageIdTaken = (messageId: string) =>
  new DomainError('conflict', 'MESSAGE_ID_TAKEN', `messageId ${messageId} belongs to another user's message`);

/** Who is sending: a STOMP session's sends to one conversation reach Kafka in the order it sent them. */
export interface SendOptions {
  /** The sending session; its sends run concurrently and keep their order per conversation. */
  readonly session?: string;
}

/**
 * Send, read, edit and delete (PROTOCOL §§2-3). A send is answered only after Kafka acknowledged its
 * MessageSent; it is idempotent by messageId with no time window (see MessageClaims).
 */
export class MessageService {
  private readonly now: () => number;
  /** Sends in progress on this node, so a duplicate arriving meanwhile waits for the first. */
  private readonly inFlight = new Map<string, InFlight>();
  /** Direct conversations known to exist (they never change), so only a first message announces one. */
  private readonly knownDirect = new Set<string>();
  private readonly lines = new SendLines();

  constructor(private readonly deps: MessageServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Resolves once the claims' acked marks asked for so far are written: before the pool ends. */
  drained(): Promise<void> {
    return this.deps.claims.drained();
  }

  /**
   * Sends one message. Call it in the order the client sent: the place in the session's line is taken
   * before the first await, so sends of a session may run concurrently and still keep their order.
   */
  async send(senderId: string, request: SendRequest, options: SendOptions = {}): Promise<SendAnswer> {
    const running = this.inFlight.get(request.messageId);
    if (running) {
      if (running.senderId !== senderId) throw messageIdTaken(request.messageId);
      return running.answer;
    }
    const turn =
      options.session === undefined
        ? undefined
        : this.lines.join(`${options.session}\u0000${conversationOf(senderId, request)}`);
    // Registered before the first await, so a duplicate arriving meanwhile finds it.
    const answer = this.deps.rateLimiter
      .take(senderId)
      .then(() => this.claimAndSend(senderId, request, turn));
    const entry = { senderId, answer };
    this.inFlight.set(request.messageId, entry);
    try {
      return await answer;
    } finally {
      // Whatever happened (refused, answered from an earlier attempt, failed), the line moves on.
      turn?.done();
      if (this.inFlight.get(request.messageId) === entry) this.inFlight.delete(request.messageId);
    }
  }

  /** `read` up to and including `seq` (the projection never moves a read position back). */
  async read(readerId: string, request: ReadRequest): Promise<void> {
    await this.deps.readLimiter?.take(readerId);
    await this.requireMember(request.conversationId, readerId);
    await this.deps.publisher.publish([
      {
        type: 'MessageRead',
        eventId: randomUUID(),
        occurredAt: this.now(),
        conversationId: request.conversationId,
        readerId,
        upToSeq: request.seq,
      },
    ]);
  }

  /** "Typing" in a conversation: members only; ephemeral, not stored. */
  async typing(userId: string, conversationId: string): Promise<void> {
    await this.deps.typingLimiter?.take(userId);
    await this.requireMember(conversationId, userId);
    await this.deps.onTyping?.(conversationId, userId);
  }

  /** Marks one message read: everything in its conversation up to its `seq`. */
  async readMessage(readerId: string, messageId: string): Promise<void> {
    const message = await this.visibleMessage(readerId, messageId);
    // Sent a moment ago: its seq is known once the projector has it.
    const { seq } = await waitForReadModel<{ seq: string }>(
      this.deps.pool,
      'SELECT seq FROM messages WHERE message_id = $1',
      [messageId],
      5_000,
    );
    await this.read(readerId, { conversationId: message.conversationId, seq: Number(seq) });
  }

  /** Delete for me (hidden from the caller) or for everybody (the sender only). */
  async delete(userId: string, request: DeleteRequest): Promise<void> {
    const message = await this.visibleMessage(userId, request.messageId);
    if (request.scope === 'EVERYONE' && message.senderId !== userId)
      throw new DomainError('forbidden', 'NOT_SENDER', 'only the sender may delete a message for everybody');
    await this.deps.publisher.publish([
      {
        type: 'MessageDeleted',
        eventId: randomUUID(),
        occurredAt: this.now(),
        messageId: request.messageId,
        conversationId: message.conversationId,
        deletedBy: userId,
        scope: request.scope,
      },
    ]);
  }

  /**
   * Edits one of the caller's messages (PROTOCOL §2.7): answered once Kafka has the MessageEdited.
   * Edits count against the send rate. A retry with an editId whose edit the read model shows gets
   * that edit's answer and records nothing; one that comes before it shows is recorded again, which
   * the projections drop by the editId (so a retry never undoes a newer edit).
   */
  async edit(userId: string, request: EditRequest): Promise<EditAnswer> {
    await this.deps.rateLimiter.take(userId);
    const { messageId } = request;
    const { conversationId, senderId } = await this.visibleMessage(userId, messageId);
    // Sent a moment ago: its row (send time, deletion) shows once the projector has it.
    const row = await waitForReadModel<{
      sent_at: Date;
      deleted_for_everybody: boolean;
      retried_at: Date | null;
    }>(
      this.deps.pool,
      `SELECT m.sent_at, m.deleted_for_everybody, e.edited_at AS retried_at FROM messages m
         LEFT JOIN message_edits e ON e.message_id = m.message_id AND e.edit_id = $2
        WHERE m.message_id = $1`,
      [messageId, request.editId ?? ''],
      5_000,
    );
    const answer = (editId: string, editedAtMs: number): EditAnswer => ({
      messageId,
      conversationId,
      editId,
      editedAt: new Date(editedAtMs).toISOString(),
    });
    if (request.editId !== undefined && row.retried_at !== null && senderId === userId)
      return answer(request.editId, row.retried_at.getTime());
    const now = this.now();
    checkEdit(
      {
        messageId,
        senderId,
        sentAtMs: row.sent_at.getTime(),
        deletedForEverybody: row.deleted_for_everybody,
      },
      userId,
      now,
      this.deps.editWindowMs ?? EDIT_WINDOW_MS_DEFAULT,
    );
    const editId = request.editId ?? randomUUID();
    // Keyed by the conversation like its MessageSent: on the same partition, after it.
    await this.deps.publisher.publish([
      {
        type: 'MessageEdited',
        eventId: randomUUID(),
        occurredAt: now,
        messageId,
        conversationId,
        editedBy: userId,
        editId,
        text: request.text,
      },
    ]);
    return answer(editId, now);
  }

  /**
   * Does what the claim decision says until the send is answered or refused. Every step but the
   * last reads the claim again, and the decision picks the next step from what it shows.
   */
  private async claimAndSend(
    senderId: string,
    request: SendRequest,
    turn: SendTurn | undefined,
  ): Promise<SendAnswer> {
    const { messageId } = request;
    const conversationId = conversationOf(senderId, request);
    // Nothing is known yet, and the claim statement returns the row it finds: claiming is looking.
    let decision: ClaimDecision = { do: 'claim' };
    for (let waits = 0; ;) {
      let reading: ClaimReading;
      switch (decision.do) {
        case 'claim': {
          const sentAtMs = this.now();
          const claimed = await this.deps.claims.claim({ messageId, senderId, conversationId, sentAtMs });
          if (claimed.kind === 'fresh') {
            // Nothing was produced under this claim: a refused send frees the messageId.
            await this.checkTargetOrLetGo(senderId, request, conversationId, () =>
              this.deps.claims.forget(messageId),
            );
            return this.produce(senderId, request, conversationId, sentAtMs, turn);
          }
          reading = claimed;
          break;
        }
        case 'answer':
          return answerOf(messageId, decision.conversationId, decision.sentAtMs);
        case 'refuse-taken':
          throw messageIdTaken(messageId);
        case 'take-over': {
          const taken = await this.deps.claims.takeOver(messageId);
          if (taken) {
            // The sender may have left the conversation since the claim was made. The claim is
            // released, not forgotten: the failed attempt may have reached Kafka after all (the
            // projector then marks the claim), so the messageId must stay this sender's. A failed
            // release only leaves the lease to run out.
            await this.checkTargetOrLetGo(senderId, request, taken.conversationId, () =>
              this.deps.claims.release(messageId).catch(() => undefined),
            );
            return this.produce(senderId, request, taken.conversationId, taken.sentAtMs, turn);
          }
          // Another attempt took it over first: it holds the lease now, or has even answered.
          reading = await this.deps.claims.get(messageId);
          break;
        }
        case 'wait': {
          const { ms } = decision;
          await new Promise((resolve) => setTimeout(resolve, ms));
          waits += 1;
          reading = await this.deps.claims.get(messageId);
          break;
        }
        default: {
          const unknown: never = decision;
          throw new Error(`unknown claim decision ${JSON.stringify(unknown)}`);
        }
      }
      decision = decideClaim(reading.state, { senderId, nowMs: reading.nowMs, waits });
    }
  }

  /** The target check a send must pass before producing; if it refuses, the claim is let go first. */
  private async checkTargetOrLetGo(
    senderId: string,
    request: SendRequest,
    conversationId: string,
    letGo: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await this.checkTarget(senderId, request, conversationId);
    } catch (error) {
      await letGo();
      throw error;
    }
  }

  private async produce(
    senderId: string,
    request: SendRequest,
    conversationId: string,
    sentAtMs: number,
    turn: SendTurn | undefined,
  ): Promise<SendAnswer> {
    const event: ParleyEvent = {
      type: 'MessageSent',
      eventId: randomUUID(),
      occurredAt: sentAtMs,
      messageId: request.messageId,
      conversationId,
      senderId,
      recipientId: request.target.kind === 'recipient' ? request.target.recipientId : null,
      text: request.text,
      replyToMessageId: null,
    };
    const ids = { messageId: request.messageId, eventId: event.eventId, conversationId };
    try {
      await this.deps.publisher.publish(
        [event],
        turn && { after: turn.ready, handedOver: () => turn.done() },
      );
    } catch (error) {
      this.deps.logger?.warn({ err: error, ...ids }, 'message not recorded (Kafka); the claim is released');
      await this.deps.claims.release(request.messageId).catch(() => undefined);
      throw error;
    }
    this.deps.logger?.debug({ ...ids, senderId }, 'message recorded');
    // Kafka has it: the answer is final, so it is not held up by marking the claim (the projection
    // marks it too). Until then a repeat of this messageId waits for the mark, as for any lease.
    this.deps.claims.markAcked(request.messageId).catch((error: unknown) => {
      this.deps.logger?.warn({ err: error, messageId: request.messageId }, 'claim not marked acked');
    });
    return answerOf(request.messageId, conversationId, sentAtMs);
  }

  /** Members send to a conversation; a first direct message creates its conversation. */
  private async checkTarget(senderId: string, request: SendRequest, conversationId: string): Promise<void> {
    const { target } = request;
    if (target.kind === 'conversation') {
      if (this.knownDirect.has(`${conversationId}\u0000${senderId}`)) return;
      return this.requireMember(conversationId, senderId);
    }
    const cacheKey = `${conversationId}\u0000${senderId}`;
    if (this.knownDirect.has(cacheKey)) return;
    const status = await this.deps.directory.accountStatus(target.recipientId);
    if (status === undefined || status === 'DELETED') throw notFound('user', target.recipientId);
    const kind = await this.deps.directory.conversationKind(conversationId);
    if (kind === undefined) {
      // Both sides' first messages may race: the projection keeps the first announcement.
      await this.deps.publisher.publish([
        {
          type: 'ConversationCreated',
          eventId: randomUUID(),
          occurredAt: this.now(),
          conversationId,
          kind: 'DIRECT',
          title: null,
          createdBy: senderId,
          memberIds: [senderId, target.recipientId].sort(),
        },
      ]);
      // Read-your-writes: the history calls find the conversation as soon as the first send is answered.
      await waitForReadModel(this.deps.pool, 'SELECT 1 FROM conversations WHERE conversation_id = $1', [
        conversationId,
      ]);
    }
    this.rememberDirect(cacheKey);
  }

  private rememberDirect(key: string): void {
    // Bounded: a cache, not a registry; forgetting only costs one lookup.
    if (this.knownDirect.size >= 100_000) this.knownDirect.clear();
    this.knownDirect.add(key);
  }

  private async requireMember(conversationId: string, userId: string): Promise<void> {
    // The same answer for a conversation that does not exist: non-members learn nothing.
    if (!(await this.deps.directory.isMember(conversationId, userId)))
      throw notFound('conversation', conversationId);
  }

  /**
   * A message the caller may act on: sent (its claim acked), in a conversation the caller is a member
   * of, not hidden from the caller. The acked mark follows Kafka's ack within moments (and the
   * messages projection sets it too), so a member acting on a message it has just received or sent
   * finds its claim still unacked: while the sending attempt's lease runs, that waits for the mark.
   * A claim whose attempt failed has no lease left and is not found at once.
   */
  private async visibleMessage(
    userId: string,
    messageId: string,
  ): Promise<{ conversationId: string; senderId: string }> {
    const { rows } = await this.deps.pool.query<{
      conversation_id: string;
      sender_id: string;
      acked: boolean;
      leased: boolean;
    }>(
      `SELECT c.conversation_id, c.sender_id, c.acked, c.lease_until > now() AS leased FROM message_claims c
        WHERE c.message_id = $1
          AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.message_id = c.message_id AND h.user_id = $2)`,
      [messageId, userId],
    );
    const row = rows[0];
    // Membership first: a non-member learns nothing, not even by how long the answer takes.
    if (
      !row ||
      !(row.acked || row.leased) ||
      !(await this.deps.directory.isMember(row.conversation_id, userId))
    )
      throw notFound('message', messageId);
    if (!row.acked) {
      // Until it is marked, or its attempt fails (the lease is released) or its lease runs out.
      const settled = await waitForReadModel<{ acked: boolean }>(
        this.deps.pool,
        'SELECT acked FROM message_claims WHERE message_id = $1 AND (acked OR lease_until <= now())',
        [messageId],
        ACK_WAIT_MS,
      ).catch(() => ({ acked: false }));
      if (!settled.acked) throw notFound('message', messageId);
    }
    return { conversationId: row.conversation_id, senderId: row.sender_id };
  }
}
