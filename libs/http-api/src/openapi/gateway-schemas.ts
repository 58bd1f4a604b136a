// The JSON Schemas (2020-12) of the gateway's requests and answers, as docs/protocol.md §§1-2 gives
// them. The requests are parsed by the domain rules (libs/domain), not by these schemas: the limits
// come from there where it exports them, and openapi-document.unit.spec.ts feeds the same bodies to
// both and checks they agree, so the document cannot drift from the rules unnoticed.
import { GROUP_MEMBERS_MAX, TEXT_MAX, TITLE_MAX, USERNAME_PATTERN } from '@parley/domain';
import { ERROR_SCHEMA, schemaRef, type JsonObject } from './document-parts';

const string = (description?: string): JsonObject => ({
  type: 'string',
  ...(description ? { description } : {}),
});
const dateTime = (description: string): JsonObject => ({ type: 'string', format: 'date-time', description });
const userId = (description = 'A user id (a UUID given at registration).'): JsonObject => ({
  type: 'string',
  format: 'uuid',
  description,
});

/** An object with these properties, the `required` ones always present (answers leave out unset fields). */
const object = (
  required: readonly string[],
  properties: Readonly<Record<string, JsonObject>>,
  description?: string,
): JsonObject => ({
  type: 'object',
  ...(description ? { description } : {}),
  required: [...required],
  properties,
});

export const GATEWAY_SCHEMAS: Readonly<Record<string, JsonObject>> = {
  Error: ERROR_SCHEMA,
  ClientId: {
    type: 'string',
    pattern: '^[A-Za-z0-9_.:-]{1,64}$',
    description: 'An id a client passes: 1 to 64 of `A-Z a-z 0-9 _ . : -` (a UUID is recommended).',
  },
  Username: {
    type: 'string',
    pattern: USERNAME_PATTERN.source,
    description: '3 to 32 of `a-z 0-9 _ . -` (lower case only).',
  },
  // ---- requests
  RegisterRequest: object(['username', 'password'], {
    username: schemaRef('Username'),
    password: { type: 'string', minLength: 8, maxLength: 256, description: '8 to 256 characters.' },
    displayName: {
      type: ['string', 'null'],
      maxLength: 64,
      pattern: '^[^\\u0000-\\u001f]*[^\\s\\u0000-\\u001f][^\\u0000-\\u001f]*$',
      description: '1 to 64 characters without control characters (U+0000 to U+001F), trimmed.',
    },
  }),
  LoginRequest: object(
    ['username', 'password'],
    { username: string(), password: string() },
    'Formats are not checked: anything that is not an account is `401 INVALID_CREDENTIALS`.',
  ),
  AccountStatusRequest: object(['status'], {
    status: { enum: ['active', 'blocked', 'deleted'] },
    reason: { type: ['string', 'null'], maxLength: 500 },
  }),
  SendRequest: {
    ...object(
      ['messageId', 'text'],
      {
        messageId: schemaRef('ClientId'),
        conversationId: schemaRef('ClientId'),
        recipientId: schemaRef('ClientId'),
        text: {
          type: 'string',
          minLength: 1,
          maxLength: TEXT_MAX,
          pattern: '\\S',
          description: `1 to ${TEXT_MAX} characters, not only white space; kept exactly as sent.`,
        },
      },
      'Exactly one of `conversationId` (a conversation the sender is a member of) and `recipientId` (a direct message).',
    ),
    oneOf: ['conversationId', 'recipientId'].map((target) => ({
      type: 'object',
      required: [target],
      properties: { [target]: true },
    })),
  },
  EditRequest: object(
    ['text'],
    {
      text: {
        type: 'string',
        minLength: 1,
        maxLength: TEXT_MAX,
        pattern: '\\S',
        description: `The new text: 1 to ${TEXT_MAX} characters, not only white space; kept exactly as sent.`,
      },
      editId: {
        ...schemaRef('ClientId'),
        description:
          'The client’s id of this edit (a UUID is recommended): a retry with the same one records nothing new. Without it, each call is a new edit.',
      },
    },
    'The message comes from the path.',
  ),
  MessageStatusRequest: object(['status'], {
    status: { enum: ['read', 'deleted_for_sender', 'deleted_for_everybody'] },
  }),
  GroupRequest: object(['title', 'memberIds'], {
    title: {
      type: 'string',
      minLength: 1,
      maxLength: TITLE_MAX,
      pattern: '\\S',
      description: `1 to ${TITLE_MAX} characters, trimmed.`,
    },
    memberIds: {
      type: 'array',
      maxItems: GROUP_MEMBERS_MAX,
      items: schemaRef('ClientId'),
      description: 'User ids; duplicates are ignored; the creator is always a member.',
    },
  }),
  AddMemberRequest: object(['userId'], { userId: schemaRef('ClientId') }),
  // ---- answers
  Session: object(['userId', 'username', 'token', 'expiresAt'], {
    userId: userId(),
    username: schemaRef('Username'),
    token: string('A signed JWT (HS256, `iss` = `parley`, `sub` = userId); 24 hours.'),
    expiresAt: dateTime('When the token expires.'),
  }),
  Me: object(['userId'], { userId: userId() }),
  User: object(['userId', 'username'], {
    userId: userId(),
    username: schemaRef('Username'),
    displayName: string('Given when the user chose one at registration.'),
  }),
  AccountStatus: object(['userId', 'status'], {
    userId: userId(),
    status: { enum: ['active', 'blocked', 'deleted'] },
  }),
  SendAnswer: object(['messageId', 'conversationId', 'status', 'sentAt'], {
    messageId: schemaRef('ClientId'),
    conversationId: { type: 'string', format: 'uuid' },
    status: { const: 'sent' },
    sentAt: dateTime('When Parley recorded the first send of this `messageId`.'),
  }),
  EditAnswer: object(['messageId', 'conversationId', 'editId', 'editedAt'], {
    messageId: schemaRef('ClientId'),
    conversationId: { type: 'string', format: 'uuid' },
    editId: schemaRef('ClientId'),
    editedAt: dateTime('When Parley recorded the (first) edit with this `editId`: the message’s `editedAt`.'),
  }),
  Message: object(
    ['messageId', 'conversationId', 'seq', 'senderId', 'text', 'sentAt'],
    {
      messageId: schemaRef('ClientId'),
      conversationId: { type: 'string', format: 'uuid' },
      seq: { type: 'integer', minimum: 0, description: 'Position in the conversation (not dense).' },
      senderId: userId(),
      text: string('`""` when deleted for everybody.'),
      sentAt: dateTime('When the message was recorded.'),
      status: {
        enum: ['sent', 'pending', 'failed', 'delivered', 'read'],
        description: 'The caller’s own messages only: the least advanced status among the other members.',
      },
      deleted: { const: true, description: 'Deleted for everybody.' },
      editedAt: dateTime('When its latest edit was made; absent for a message never edited (or deleted).'),
    },
    'PROTOCOL §2.1.',
  ),
  MessagePage: object(['messages'], {
    messages: { type: 'array', items: schemaRef('Message') },
    nextCursor: string('Present when there is a next page.'),
  }),
  Conversation: object(
    ['conversationId', 'kind', 'createdBy', 'memberIds', 'unreadCount', 'updatedAt'],
    {
      conversationId: { type: 'string', format: 'uuid' },
      kind: { enum: ['direct', 'group'] },
      title: string('Groups only.'),
      createdBy: userId(
        'A group’s creator (who alone removes other members); for a direct conversation, whoever sent first.',
      ),
      memberIds: {
        type: 'array',
        items: userId(),
        description: 'Current members, in the order they joined.',
      },
      lastMessage: schemaRef('Message'),
      unreadCount: { type: 'integer', minimum: 0 },
      updatedAt: dateTime('The latest of creation, the caller’s joining and the last message.'),
    },
    'PROTOCOL §2.1.',
  ),
  ConversationPage: object(['conversations'], {
    conversations: { type: 'array', items: schemaRef('Conversation') },
    nextCursor: string('Present when there is a next page.'),
  }),
  GroupCreated: object(['conversationId'], { conversationId: { type: 'string', format: 'uuid' } }),
  Presence: object(['userId', 'status', 'lastSeen'], {
    userId: userId(),
    status: { enum: ['online', 'offline'] },
    lastSeen: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'Now for an online user; the last moment an offline one was seen; `null` if never.',
    },
  }),
  Health: object(['status'], { status: { const: 'ok' } }),
  OpenApiDocument: {
    type: 'object',
    required: ['openapi', 'info', 'paths'],
    properties: {
      openapi: { type: 'string', pattern: '^3\\.1\\.' },
      info: { type: 'object' },
      paths: { type: 'object' },
    },
    description: 'This document.',
  },
};
