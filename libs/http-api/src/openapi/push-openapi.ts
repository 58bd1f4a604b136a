// Web Push (issue 14, docs/protocol.md §2.10) in the gateway's OpenAPI document: the routes of
// push-routes.ts and their schemas. The bodies are parsed by libs/push (parsePushSubscription,
// parsePushSettings); the limits here are that lib's.
import { ENDPOINT_MAX } from '@parley/push';
import {
  BODY_REFUSALS,
  NOT_AN_OBJECT,
  answer,
  idParameter,
  jsonBody,
  noContent,
  schemaRef,
  signedIn,
  type JsonObject,
} from './document-parts';

const base64url = (bytes: number, description: string): JsonObject => ({
  type: 'string',
  pattern: '^[A-Za-z0-9_-]+={0,2}$',
  description: `${description}: ${bytes} bytes in base64url.`,
});

export const PUSH_SCHEMAS: Readonly<Record<string, JsonObject>> = {
  PushSubscriptionRequest: {
    type: 'object',
    description: 'A browser’s `PushSubscription.toJSON()`; fields Parley does not know are ignored.',
    required: ['endpoint', 'keys'],
    properties: {
      endpoint: {
        type: 'string',
        format: 'uri',
        maxLength: ENDPOINT_MAX,
        description:
          'The push service URL: https to a public host (http to loopback only where PUSH_ALLOW_LOOPBACK_HTTP allows it), without credentials or fragment.',
      },
      expirationTime: {
        type: ['integer', 'null'],
        minimum: 0,
        description: 'When the push service ends the subscription (ms since the epoch), if it says.',
      },
      keys: {
        type: 'object',
        required: ['p256dh', 'auth'],
        properties: {
          p256dh: base64url(65, 'The browser’s uncompressed P-256 public key (0x04 first)'),
          auth: base64url(16, 'The authentication secret'),
        },
      },
    },
  },
  PushSubscription: {
    type: 'object',
    required: ['subscriptionId', 'endpoint', 'expirationTime', 'createdAt'],
    properties: {
      subscriptionId: { type: 'string', format: 'uuid' },
      endpoint: { type: 'string' },
      expirationTime: { type: ['string', 'null'], format: 'date-time' },
      createdAt: { type: 'string', format: 'date-time' },
    },
  },
  PushSubscriptionList: {
    type: 'object',
    required: ['subscriptions', 'maxSubscriptions'],
    properties: {
      subscriptions: { type: 'array', items: schemaRef('PushSubscription') },
      maxSubscriptions: {
        type: 'integer',
        minimum: 1,
        description: 'PUSH_MAX_SUBSCRIPTIONS_PER_USER: more is `409 TOO_MANY_PUSH_SUBSCRIPTIONS`.',
      },
    },
  },
  PushSettings: {
    type: 'object',
    required: ['previews'],
    properties: {
      previews: {
        type: 'boolean',
        description: 'Whether notifications show the message’s text (default true).',
      },
    },
  },
  VapidPublicKey: {
    type: 'object',
    required: ['publicKey'],
    properties: {
      publicKey: base64url(65, 'The VAPID public key, the browser’s `applicationServerKey`'),
    },
  },
};

const subscriptionRefusals = [
  ...NOT_AN_OBJECT,
  'INVALID_PUSH_SUBSCRIPTION',
  'INVALID_PUSH_ENDPOINT',
  'INVALID_PUSH_KEYS',
];

export const PUSH_PATHS: Readonly<Record<string, JsonObject>> = {
  '/v1/push/vapid-public-key': {
    get: {
      operationId: 'vapidPublicKey',
      summary: 'The VAPID public key to subscribe with (PROTOCOL §2.10)',
      tags: ['push'],
      responses: { 200: answer('The installation’s key.', schemaRef('VapidPublicKey')), ...signedIn({}) },
    },
  },
  '/v1/push/subscriptions': {
    post: {
      operationId: 'registerPushSubscription',
      summary: 'Register the browser’s push subscription (PROTOCOL §2.10)',
      tags: ['push'],
      requestBody: jsonBody(schemaRef('PushSubscriptionRequest')),
      responses: {
        201: answer('Registered for the caller.', schemaRef('PushSubscription')),
        200: answer(
          'The caller had registered this endpoint: its keys are renewed.',
          schemaRef('PushSubscription'),
        ),
        ...signedIn({ 400: subscriptionRefusals, 409: ['TOO_MANY_PUSH_SUBSCRIPTIONS'], ...BODY_REFUSALS }),
      },
    },
    get: {
      operationId: 'listPushSubscriptions',
      summary: 'The caller’s push subscriptions (PROTOCOL §2.10)',
      tags: ['push'],
      responses: {
        200: answer('Oldest first; the keys are not given back.', schemaRef('PushSubscriptionList')),
        ...signedIn({}),
      },
    },
  },
  '/v1/push/subscriptions/{subscriptionId}': {
    delete: {
      operationId: 'deletePushSubscription',
      summary: 'Delete one of the caller’s push subscriptions (PROTOCOL §2.10)',
      tags: ['push'],
      parameters: [idParameter('subscriptionId', 'A subscription of the caller (another user’s is 404).')],
      responses: {
        204: noContent('Deleted: no more notifications to that browser.'),
        ...signedIn({ 400: ['INVALID_ID'], 404: ['NOT_FOUND'] }),
      },
    },
  },
  '/v1/push/settings': {
    get: {
      operationId: 'pushSettings',
      summary: 'The caller’s notification settings (PROTOCOL §2.10)',
      tags: ['push'],
      responses: {
        200: answer('The settings (defaults until changed).', schemaRef('PushSettings')),
        ...signedIn({}),
      },
    },
    put: {
      operationId: 'changePushSettings',
      summary: 'Change the caller’s notification settings (PROTOCOL §2.10)',
      tags: ['push'],
      requestBody: jsonBody(schemaRef('PushSettings')),
      responses: {
        200: answer('The settings now.', schemaRef('PushSettings')),
        ...signedIn({ 400: [...NOT_AN_OBJECT, 'INVALID_PUSH_SETTINGS'], ...BODY_REFUSALS }),
      },
    },
  },
};
