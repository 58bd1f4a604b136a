import { Router, type Request, type Response } from 'express';
import {
  DomainError,
  asObject,
  notFound,
  parseClientId,
  parseGroupRequest,
  parseInstant,
  parseEditRequest,
  parseLimit,
  parseSendRequest,
  parseSeq,
  parseStatusChange,
  parseUsername,
} from '@parley/domain';
import type { ConversationService, Directory, MessageService } from '@parley/messaging';
import type { Pool } from 'pg';
import {
  conversationMessages,
  decodeConversationCursor,
  decodeSinceCursor,
  findUserById,
  findUserByUsername,
  listConversations,
  messagesSince,
} from '@parley/read-models';

export interface MessagingRoutesDeps {
  readonly pool: Pool;
  readonly messages: MessageService;
  readonly conversations: ConversationService;
  readonly directory: Directory;
  /** PROTOCOL §2 presence of a user (live state and last seen). */
  readonly presenceOf?: (userId: string) => Promise<unknown>;
  /** Limits looking users up (by username or id) per caller: throws RATE_LIMITED past it. */
  readonly lookupLimiter?: { take(userId: string): Promise<void> };
}

/** The caller, once the auth middleware has checked the bearer token. */
export const userOf = (res: Response): string => res.locals.userId as string;

const query = (req: Request, name: string): string | undefined => {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new DomainError('invalid', 'INVALID_QUERY', `query parameter ${name} must be given once`);
  return value;
};

const pathId = (req: Request, name: string): string => parseClientId(req.params[name], name);

/** PROTOCOL §2: sends, edits, statuses, groups and history (every route is behind the bearer-token check). */
export function messagingRoutes(deps: MessagingRoutesDeps): Router {
  const router = Router();

  router.post('/messages', async (req, res) => {
    const answer = await deps.messages.send(userOf(res), parseSendRequest(asObject(req.body)));
    res.status(202).json(answer);
  });

  router.patch('/messages/:messageId/status', async (req, res) => {
    const messageId = pathId(req, 'messageId');
    const change = parseStatusChange(asObject(req.body));
    if (change === 'read') await deps.messages.readMessage(userOf(res), messageId);
    else await deps.messages.delete(userOf(res), { messageId, scope: change });
    res.status(204).end();
  });

  // Edit one's own message (PROTOCOL §2.7): 200 once Kafka has the edit.
  router.patch('/messages/:messageId', async (req, res) => {
    const request = parseEditRequest(asObject(req.body), pathId(req, 'messageId'));
    res.json(await deps.messages.edit(userOf(res), request));
  });

  router.get('/messages', async (req, res) => {
    const since = parseInstant(query(req, 'since'), 'since');
    const limit = parseLimit(query(req, 'limit'), 200, 1_000);
    const rawCursor = query(req, 'cursor');
    const cursor = rawCursor === undefined ? undefined : decodeSinceCursor(rawCursor);
    if (rawCursor !== undefined && !cursor)
      throw new DomainError(
        'invalid',
        'INVALID_CURSOR',
        'cursor must be a nextCursor from an earlier answer',
      );
    const page = await messagesSince(deps.pool, userOf(res), since, limit, cursor);
    res.json({ messages: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  });

  router.post('/conversations', async (req, res) => {
    res
      .status(201)
      .json(await deps.conversations.createGroup(userOf(res), parseGroupRequest(asObject(req.body))));
  });

  // Newest activity first, `limit` (default 100, at most 500) at a time; `nextCursor` → `cursor`.
  router.get('/conversations', async (req, res) => {
    const limit = parseLimit(query(req, 'limit'), 100, 500);
    const rawCursor = query(req, 'cursor');
    const after = rawCursor === undefined ? undefined : decodeConversationCursor(rawCursor);
    if (rawCursor !== undefined && !after)
      throw new DomainError(
        'invalid',
        'INVALID_CURSOR',
        'cursor must be a nextCursor from an earlier answer',
      );
    const page = await listConversations(deps.pool, userOf(res), { limit, ...(after ? { after } : {}) });
    res.json({ conversations: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  });

  router.get('/conversations/:conversationId/messages', async (req, res) => {
    const conversationId = pathId(req, 'conversationId');
    const before = query(req, 'beforeSeq');
    const after = query(req, 'afterSeq');
    if (before !== undefined && after !== undefined)
      throw new DomainError('invalid', 'INVALID_QUERY', 'give beforeSeq or afterSeq, not both');
    const limit = parseLimit(query(req, 'limit'), 50, 200);
    if (!(await deps.directory.isMember(conversationId, userOf(res))))
      throw notFound('conversation', conversationId);
    const page = await conversationMessages(deps.pool, userOf(res), conversationId, {
      limit,
      ...(before !== undefined ? { beforeSeq: parseSeq(before, 'beforeSeq') } : {}),
      ...(after !== undefined ? { afterSeq: parseSeq(after, 'afterSeq') } : {}),
    });
    res.json({ messages: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  });

  router.post('/conversations/:conversationId/members', async (req, res) => {
    const userId = parseClientId(asObject(req.body).userId, 'userId');
    await deps.conversations.addMember(userOf(res), pathId(req, 'conversationId'), userId);
    res.status(204).end();
  });

  router.delete('/conversations/:conversationId/members/:userId', async (req, res) => {
    await deps.conversations.removeMember(userOf(res), pathId(req, 'conversationId'), pathId(req, 'userId'));
    res.status(204).end();
  });

  // Start a direct chat by username: an exact match only (no search, so no way to list users).
  router.get('/users', async (req, res) => {
    const username = parseUsername(query(req, 'username'));
    await deps.lookupLimiter?.take(userOf(res));
    const user = await findUserByUsername(deps.pool, username);
    if (!user) throw notFound('user', username);
    res.json(user);
  });

  // Name a sender or member known only by id (PROTOCOL §1): the same view as the username lookup.
  router.get('/users/:userId', async (req, res) => {
    const userId = pathId(req, 'userId');
    await deps.lookupLimiter?.take(userOf(res));
    const user = await findUserById(deps.pool, userId);
    if (!user) throw notFound('user', userId);
    res.json(user);
  });

  router.get('/users/:userId/presence', async (req, res) => {
    const userId = pathId(req, 'userId');
    const status = await deps.directory.accountStatus(userId);
    if (status === undefined || status === 'DELETED' || !deps.presenceOf) throw notFound('user', userId);
    res.json(await deps.presenceOf(userId));
  });

  return router;
}
