// The analytics service's HTTP API (docs/protocol.md §2.9) as an OpenAPI 3.1 document of its own: it
// is another process on another port (ANALYTICS_PORT), served there at `GET /v1/openapi.json`.
import { ERROR_SCHEMA, PUBLIC, answer, queryParameter, refusals, type JsonObject } from './document-parts';

const instant = (description: string): JsonObject => ({ type: 'string', format: 'date-time', description });

const range = [
  queryParameter('from', 'ISO-8601; default: an hour before `to`; rounded down to the minute.', {
    type: 'string',
  }),
  queryParameter('to', 'ISO-8601; default: now; rounded up to the minute; at most 7 days after `from`.', {
    type: 'string',
  }),
];

/** The analytics error handler sends no `Retry-After` header (the body's `retryAfterMs` says it). */
const refused = refusals(
  {
    400: ['INVALID_RANGE'],
    401: ['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED'],
    403: ['FORBIDDEN'],
    500: ['INTERNAL'],
    503: ['UNAVAILABLE'],
  },
  { retryAfterHeader: false },
);

const latency: JsonObject = {
  type: 'object',
  required: ['count', 'p50', 'p90', 'p99', 'max'],
  properties: Object.fromEntries([
    ['count', { type: 'integer', minimum: 0 }],
    ...['p50', 'p90', 'p99', 'max'].map((name) => [
      name,
      {
        type: ['number', 'null'],
        minimum: 0,
        description: 'Milliseconds (within 5%); `null` without samples.',
      },
    ]),
  ]),
};

const ranged = (properties: Readonly<Record<string, JsonObject>>): JsonObject => ({
  type: 'object',
  required: ['from', 'to', ...Object.keys(properties)],
  properties: {
    from: instant('The range as served: whole minutes.'),
    to: instant('The end of the range (exclusive).'),
    ...properties,
  },
});

export const ANALYTICS_OPENAPI: JsonObject = {
  openapi: '3.1.0',
  info: {
    title: 'Parley analytics HTTP API',
    version: '1',
    summary: 'Platform-wide figures for administrators (docs/protocol.md §2.9).',
    description:
      'Served by the analytics service on its own port (ANALYTICS_PORT, 8084). Every call needs the bearer token of an administrator (ADMIN_USER_IDS, ADMIN_USERNAMES).',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  security: [{ bearer: [] }],
  paths: {
    '/v1/analytics/messages': {
      get: {
        operationId: 'messagesPerMinute',
        summary: 'Messages sent per minute',
        parameters: range,
        responses: {
          200: answer(
            'Every minute of the range, empty ones as 0.',
            ranged({
              total: { type: 'integer', minimum: 0 },
              minutes: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['minute', 'messages'],
                  properties: { minute: instant('The minute.'), messages: { type: 'integer', minimum: 0 } },
                },
              },
            }),
          ),
          ...refused,
        },
      },
    },
    '/v1/analytics/latency': {
      get: {
        operationId: 'latency',
        summary: 'Send to first device ACK, and that to the read that covered it',
        parameters: range,
        responses: {
          200: answer(
            'Percentiles in milliseconds.',
            ranged({ unit: { const: 'ms' }, sendToDeliver: latency, deliverToRead: latency }),
          ),
          ...refused,
        },
      },
    },
    '/v1/analytics/active-users': {
      get: {
        operationId: 'activeUsers',
        summary: 'Distinct users who sent, read or came online',
        parameters: range,
        responses: {
          200: answer('A count.', ranged({ activeUsers: { type: 'integer', minimum: 0 } })),
          ...refused,
        },
      },
    },
    '/v1/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        summary: 'This document',
        ...PUBLIC,
        responses: {
          200: answer('The OpenAPI 3.1 document of this API.', {
            type: 'object',
            required: ['openapi', 'info', 'paths'],
            properties: { openapi: { const: '3.1.0' }, info: { type: 'object' }, paths: { type: 'object' } },
          }),
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Alive; served ahead of the API',
        ...PUBLIC,
        responses: {
          200: answer('The service answers.', {
            type: 'object',
            required: ['status'],
            properties: { status: { const: 'ok' } },
          }),
        },
      },
    },
  },
  components: {
    schemas: { Error: ERROR_SCHEMA },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
};
