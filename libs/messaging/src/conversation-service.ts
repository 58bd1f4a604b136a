import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { DomainError, GROUP_MEMBERS_MAX, notFound, type GroupRequest } from '@parley/domain';
import type { EventPublisher } from '@parley/publishing';
import { waitForReadModel } from '@parley/read-models';
import type { Directory } from './directory';

export interface ConversationServiceDeps {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
  readonly directory: Directory;
  /** Most members a group may have (creator included), checked on creation and on every add. */
  readonly maxMembers?: number;
  readonly now?: () => number;
}

/**
 * Groups over HTTP (PROTOCOL §2): create, add a member, remove a member (or leave). Each change is
 * answered once Kafka has the event and the read models show it, so the caller's next call sees it.
 */
export class ConversationService {
  private readonly now: () => number;
  private readonly maxMembers: number;

  constructor(private readonly deps: ConversationServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.maxMembers = deps.maxMembers ?? GROUP_MEMBERS_MAX;
  }

  private groupFull(): DomainError {
    return new DomainError('conflict', 'GROUP_FULL', `a group has at most ${this.maxMembers} members`);
  }

  async createGroup(creatorId: string, request: GroupRequest): Promise<{ conversationId: string }> {
    const memberIds = [...new Set([creatorId, ...request.memberIds])];
    if (memberIds.length > this.maxMembers) throw this.groupFull();
    await Promise.all(memberIds.filter((id) => id !== creatorId).map((id) => this.requireUser(id)));
    const conversationId = randomUUID();
    await this.deps.publisher.publish([
      {
        type: 'ConversationCreated',
        eventId: randomUUID(),
        occurredAt: this.now(),
        conversationId,
        kind: 'GROUP',
        title: request.title,
        createdBy: creatorId,
        memberIds,
      },
    ]);
    await waitForReadModel(
      this.deps.pool,
      'SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2',
      [conversationId, creatorId],
    );
    return { conversationId };
  }

  /** Any member may add a user; adding a current member changes nothing. */
  async addMember(callerId: string, conversationId: string, userId: string): Promise<void> {
    await this.requireGroupMember(conversationId, callerId);
    await this.requireUser(userId);
    if (await this.deps.directory.isMember(conversationId, userId)) return;
    // Two adds racing at the cap may both pass: the cap bounds a group, it is not an exact count.
    const { rows } = await this.deps.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM conversation_members WHERE conversation_id = $1 AND left_at IS NULL',
      [conversationId],
    );
    if (Number(rows[0]?.n ?? 0) >= this.maxMembers) throw this.groupFull();
    await this.deps.publisher.publish([
      {
        type: 'MemberAdded',
        eventId: randomUUID(),
        occurredAt: this.now(),
        conversationId,
        userId,
        addedBy: callerId,
      },
    ]);
    await waitForReadModel(
      this.deps.pool,
      'SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL',
      [conversationId, userId],
    );
  }

  /** A member may leave; only the group's creator may remove someone else. */
  async removeMember(callerId: string, conversationId: string, userId: string): Promise<void> {
    const createdBy = await this.requireGroupMember(conversationId, callerId);
    if (userId !== callerId && createdBy !== callerId)
      throw new DomainError(
        'forbidden',
        'NOT_GROUP_OWNER',
        "only the group's creator may remove other members",
      );
    if (!(await this.deps.directory.isMember(conversationId, userId))) throw notFound('member', userId);
    await this.deps.publisher.publish([
      {
        type: 'MemberRemoved',
        eventId: randomUUID(),
        occurredAt: this.now(),
        conversationId,
        userId,
        removedBy: callerId,
      },
    ]);
    await waitForReadModel(
      this.deps.pool,
      'SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NOT NULL',
      [conversationId, userId],
    );
  }

  /** The group's creator, if the caller is a member; 404 otherwise, and 400 for a direct conversation. */
  private async requireGroupMember(conversationId: string, callerId: string): Promise<string> {
    const { rows } = await this.deps.pool.query<{ kind: string; created_by: string }>(
      `SELECT c.kind, c.created_by FROM conversations c
         JOIN conversation_members m ON m.conversation_id = c.conversation_id
        WHERE c.conversation_id = $1 AND m.user_id = $2 AND m.left_at IS NULL`,
      [conversationId, callerId],
    );
    const row = rows[0];
    if (!row) throw notFound('conversation', conversationId);
    if (row.kind !== 'GROUP')
      throw new DomainError('invalid', 'NOT_A_GROUP', 'the members of a direct conversation never change');
    return row.created_by;
  }

  private async requireUser(userId: string): Promise<void> {
    const status = await this.deps.directory.accountStatus(userId);
    if (status === undefined || status === 'DELETED') throw notFound('user', userId);
  }
}
