// The gateway's HTTP API (docs/protocol.md §§1-2) as an OpenAPI 3.1 document, served at
// `GET /v1/openapi.json`. apps/gateway/src/openapi-contract.int.spec.ts checks it against the express
// router (every route documented, every documented route served) and real answers against it.
import {
  ALWAYS,
  BODY_REFUSALS,
  NOT_AN_OBJECT,
  PUBLIC,
  RETRY_AFTER_HEADER,
  UNREADABLE,
  answer,
  idParameter,
  jsonBody,
  noContent,
  queryParameter,
  refusals,
  schemaRef,
  signedIn,
  type JsonObject,
} from './document-parts';
import { GATEWAY_SCHEMAS } from './gateway-schemas';
import { PROVIDER_PATHS, PROVIDER_SCHEMAS } from './provider-openapi';
import { PUSH_PATHS, PUSH_SCHEMAS } from './push-openapi';

const path = (name: string, description: string) => idParameter(name, description);
const limit = (defaultLimit: number, max: number) =>
  queryParameter(`limit`, `Page size: default ${defaultLimit}, at most ${max}.`, {
    type: 'string',
    pattern: '^[0-9]+$',
  });
const cursor = queryParameter('cursor', 'The `nextCursor` of the page before (opaque).', { type: 'string' });

const PATHS: Readonly<Record<string, JsonObject>> = {
  '/v1/auth/register': {
    post: {
      operationId: 'register',
      summary: 'Create an account (PROTOCOL §1)',
      tags: ['accounts'],
      ...PUBLIC,
      requestBody: jsonBody(schemaRef('RegisterRequest')),
      responses: {
        201: answer('The account exists; a token for it.', schemaRef('Session')),
        ...refusals({
          400: [
            ...UNREADABLE,
            'INVALID_USERNAME',
            'INVALID_PASSWORD',
            'INVALID_DISPLAY_NAME',
            'INVALID_CHARACTER',
          ],
          409: ['USERNAME_TAKEN'],
          ...BODY_REFUSALS,
          429: ['RATE_LIMITED'],
          ...ALWAYS,
        }),
      },
    },
  },
  '/v1/auth/login': {
    post: {
      operationId: 'login',
      summary: 'Get a token (PROTOCOL §1)',
      tags: ['accounts'],
      ...PUBLIC,
      requestBody: jsonBody(schemaRef('LoginRequest')),
      responses: {
        200: answer('A token of 24 hours.', schemaRef('Session')),
        ...refusals({
          400: UNREADABLE,
          401: ['INVALID_CREDENTIALS', 'ACCOUNT_DISABLED'],
          ...BODY_REFUSALS,
          429: ['RATE_LIMITED'],
          ...ALWAYS,
        }),
      },
    },
  },
  '/v1/openapi.json': {
    get: {
      operationId: 'openApiDocument',
      summary: 'This document',
      tags: ['documentation'],
      ...PUBLIC,
      responses: { 200: answer('The OpenAPI 3.1 document of this API.', schemaRef('OpenApiDocument')) },
    },
  },
  '/v1/users/me': {
    get: {
      operationId: 'me',
      summary: 'Check a token (PROTOCOL §1)',
      tags: ['accounts'],
      responses: { 200: answer('The caller.', schemaRef('Me')), ...signedIn({}) },
    },
  },
  '/v1/users': {
    get: {
      operationId: 'findUserByUsername',
      summary: 'Look a user up by username (PROTOCOL §1)',
      description:
        'An exact match only (usernames are lower case by rule; there is no prefix search). A deleted user is not found; a blocked one is. Lookups by username and by id share a per-caller limit (LOOKUP_RATE_PER_SECOND, LOOKUP_RATE_BURST).',
      tags: ['accounts'],
      parameters: [queryParameter('username', 'The whole username.', schemaRef('Username'), true)],
      responses: {
        200: answer('The user.', schemaRef('User')),
        ...signedIn({
          400: ['INVALID_USERNAME', 'INVALID_QUERY'],
          404: ['NOT_FOUND'],
          429: ['RATE_LIMITED'],
        }),
      },
    },
  },
  '/v1/users/{userId}': {
    get: {
      operationId: 'findUserById',
      summary: 'Look a user up by id (PROTOCOL §1)',
      description:
        'Names a sender or member known only by id. A deleted user is not found; a blocked one is.',
      tags: ['accounts'],
      parameters: [path('userId', 'Any user who exists and is not deleted.')],
      responses: {
        200: answer('The user.', schemaRef('User')),
        ...signedIn({ 400: ['INVALID_ID'], 404: ['NOT_FOUND'], 429: ['RATE_LIMITED'] }),
      },
    },
  },
  '/v1/admin/users/{userId}/status': {
    put: {
      operationId: 'changeAccountStatus',
      summary: 'Block, delete or reactivate an account (administrators; PROTOCOL §1)',
      tags: ['accounts'],
      parameters: [path('userId', 'The account to change.')],
      requestBody: jsonBody(schemaRef('AccountStatusRequest')),
      responses: {
        200: answer('The change is in force.', schemaRef('AccountStatus')),
        ...signedIn({
          400: [...NOT_AN_OBJECT, 'INVALID_ID', 'INVALID_STATUS', 'INVALID_REASON', 'INVALID_CHARACTER'],
          403: ['FORBIDDEN'],
          404: ['NOT_FOUND'],
          ...BODY_REFUSALS,
        }),
      },
    },
  },
  '/v1/messages': {
    post: {
      operationId: 'sendMessage',
      summary: 'Send a message (PROTOCOL §2.5)',
      tags: ['messages'],
      requestBody: jsonBody(schemaRef('SendRequest')),
      responses: {
        202: answer(
          'Durably recorded (or the answer to the first send of this `messageId`).',
          schemaRef('SendAnswer'),
        ),
        ...signedIn({
          400: [
            ...NOT_AN_OBJECT,
            'INVALID_ID',
            'INVALID_TARGET',
            'INVALID_TEXT',
            'TEXT_TOO_LONG',
            'INVALID_CHARACTER',
            'INVALID_RECIPIENT',
          ],
          404: ['NOT_FOUND'],
          409: ['MESSAGE_ID_TAKEN'],
          ...BODY_REFUSALS,
          429: ['RATE_LIMITED'],
        }),
      },
    },
    get: {
      operationId: 'messagesSince',
      summary: 'Every message visible to the caller since a time (PROTOCOL §2.4)',
      tags: ['messages'],
      parameters: [
        queryParameter('since', 'ISO-8601 with a zone.', { type: 'string' }, true),
        limit(200, 1_000),
        cursor,
      ],
      responses: {
        200: answer('Ordered by time (ties by `messageId`).', schemaRef('MessagePage')),
        ...signedIn({ 400: ['INVALID_TIME', 'INVALID_LIMIT', 'INVALID_CURSOR', 'INVALID_QUERY'] }),
      },
    },
  },
  '/v1/messages/{messageId}': {
    patch: {
      operationId: 'editMessage',
      summary: 'Edit one of the caller’s messages (PROTOCOL §2.7)',
      description:
        'Only the sender, within EDIT_WINDOW_MS (24 h) of sending, never after a deletion for everybody; the text follows the rules of a send. Answered once Kafka has the edit; history shows it a moment later. A retry with the same `editId` records nothing new and gets the first answer once that shows. Edits count against the send rate limit.',
      tags: ['messages'],
      parameters: [path('messageId', 'One of the caller’s messages.')],
      requestBody: jsonBody(schemaRef('EditRequest')),
      responses: {
        200: answer(
          'Recorded (or the answer to the first edit with this `editId`).',
          schemaRef('EditAnswer'),
        ),
        ...signedIn({
          400: [...NOT_AN_OBJECT, 'INVALID_ID', 'INVALID_TEXT', 'TEXT_TOO_LONG', 'INVALID_CHARACTER'],
          403: ['NOT_SENDER'],
          404: ['NOT_FOUND'],
          409: ['MESSAGE_DELETED', 'EDIT_WINDOW_CLOSED'],
          ...BODY_REFUSALS,
          429: ['RATE_LIMITED'],
        }),
      },
    },
  },
  '/v1/messages/{messageId}/status': {
    patch: {
      operationId: 'changeMessageStatus',
      summary: 'Read up to a message, or delete it (PROTOCOL §2.7)',
      tags: ['messages'],
      parameters: [path('messageId', 'A message the caller can see.')],
      requestBody: jsonBody(schemaRef('MessageStatusRequest')),
      responses: {
        204: noContent('Recorded.'),
        ...signedIn({
          400: [...NOT_AN_OBJECT, 'INVALID_ID', 'INVALID_STATUS'],
          403: ['NOT_SENDER'],
          404: ['NOT_FOUND'],
          ...BODY_REFUSALS,
          429: ['RATE_LIMITED'],
        }),
      },
    },
  },
  '/v1/conversations': {
    post: {
      operationId: 'createGroup',
      summary: 'Create a group (PROTOCOL §2.3)',
      tags: ['conversations'],
      requestBody: jsonBody(schemaRef('GroupRequest')),
      responses: {
        201: answer('The group exists (read-your-writes).', schemaRef('GroupCreated')),
        ...signedIn({
          400: [...NOT_AN_OBJECT, 'INVALID_TITLE', 'INVALID_CHARACTER', 'INVALID_MEMBERS', 'INVALID_ID'],
          404: ['NOT_FOUND'],
          409: ['GROUP_FULL'],
          ...BODY_REFUSALS,
        }),
      },
    },
    get: {
      operationId: 'listConversations',
      summary: 'The caller’s conversations, newest activity first (PROTOCOL §2.4)',
      tags: ['conversations'],
      parameters: [limit(100, 500), cursor],
      responses: {
        200: answer('A page of conversations.', schemaRef('ConversationPage')),
        ...signedIn({ 400: ['INVALID_LIMIT', 'INVALID_CURSOR', 'INVALID_QUERY'] }),
      },
    },
  },
  '/v1/conversations/{conversationId}/messages': {
    get: {
      operationId: 'conversationHistory',
      summary: 'A page of a conversation’s history, ascending `seq` (PROTOCOL §2.4)',
      tags: ['conversations'],
      parameters: [
        path('conversationId', 'A conversation the caller is a member of.'),
        queryParameter('beforeSeq', 'The newest messages with `seq` below it.', {
          type: 'string',
          pattern: '^[0-9]+$',
        }),
        queryParameter('afterSeq', 'The oldest messages with `seq` above it.', {
          type: 'string',
          pattern: '^[0-9]+$',
        }),
        limit(50, 200),
      ],
      responses: {
        200: answer('`nextCursor` is a decimal `seq`.', schemaRef('MessagePage')),
        ...signedIn({
          400: ['INVALID_ID', 'INVALID_QUERY', 'INVALID_LIMIT', 'INVALID_SEQ'],
          404: ['NOT_FOUND'],
        }),
      },
    },
  },
  '/v1/conversations/{conversationId}/members': {
    post: {
      operationId: 'addMember',
      summary: 'Add a member to a group (PROTOCOL §2.3)',
      tags: ['conversations'],
      parameters: [path('conversationId', 'A group the caller is a member of.')],
      requestBody: jsonBody(schemaRef('AddMemberRequest')),
      responses: {
        204: noContent('The user is a member (read-your-writes).'),
        ...signedIn({
          400: [...NOT_AN_OBJECT, 'INVALID_ID', 'NOT_A_GROUP'],
          404: ['NOT_FOUND'],
          409: ['GROUP_FULL'],
          ...BODY_REFUSALS,
        }),
      },
    },
  },
  '/v1/conversations/{conversationId}/members/{userId}': {
    delete: {
      operationId: 'removeMember',
      summary: 'Leave a group, or remove a member of one’s own group (PROTOCOL §2.3)',
      tags: ['conversations'],
      parameters: [
        path('conversationId', 'A group the caller is a member of.'),
        path('userId', 'The member to remove (the caller: leave).'),
      ],
      responses: {
        204: noContent('The user is no longer a member (read-your-writes).'),
        ...signedIn({
          400: ['INVALID_ID', 'NOT_A_GROUP'],
          403: ['NOT_GROUP_OWNER'],
          404: ['NOT_FOUND'],
        }),
      },
    },
  },
  '/v1/users/{userId}/presence': {
    get: {
      operationId: 'presence',
      summary: 'A user’s presence (PROTOCOL §2.8)',
      tags: ['accounts'],
      parameters: [path('userId', 'Any user who exists and is not deleted.')],
      responses: {
        200: answer('Online or offline, and when last seen.', schemaRef('Presence')),
        ...signedIn({ 400: ['INVALID_ID'], 404: ['NOT_FOUND'] }),
      },
    },
  },
  '/healthz': {
    get: {
      operationId: 'health',
      summary: 'Alive (for load balancers); served ahead of the API',
      tags: ['operations'],
      ...PUBLIC,
      responses: { 200: answer('The node answers.', schemaRef('Health')) },
    },
  },
  ...PROVIDER_PATHS,
};

/** The gateway's HTTP API: OpenAPI 3.1. */
export const GATEWAY_OPENAPI: JsonObject = {
  openapi: '3.1.0',
  info: {
    title: 'Parley gateway HTTP API',
    version: '1',
    summary: 'Accounts, messages, conversations and presence over HTTP (docs/protocol.md §§1-2).',
    description:
      'The complete client contract, STOMP and the topics included, is docs/protocol.md; the STOMP destinations and Kafka topics are described by docs/asyncapi.yaml. Request bodies are JSON objects of at most 64 KiB; fields Parley does not know are ignored, and clients should ignore answer fields they do not know.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  security: [{ bearer: [] }],
  tags: [
    { name: 'accounts' },
    { name: 'messages' },
    { name: 'conversations' },
    { name: 'push' },
    { name: 'documentation' },
    { name: 'operations' },
  ],
  paths: { ...PATHS, ...PUSH_PATHS },
  components: {
    schemas: { ...GATEWAY_SCHEMAS, ...PUSH_SCHEMAS, ...PROVIDER_SCHEMAS },
    headers: { RetryAfter: RETRY_AFTER_HEADER },
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'A token from register or login: `Authorization: Bearer <token>` (the word `Bearer` in any case).',
      },
    },
  },
};
