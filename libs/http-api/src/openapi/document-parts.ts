// The pieces both OpenAPI documents are made of: the one error shape, the refusals by status with the
// codes each may carry, and small builders, so that a route's entry reads like its table row in
// docs/protocol.md.

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) or any other part of an OpenAPI document. */
export type JsonObject = { readonly [key: string]: unknown };

export const schemaRef = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });

/** JSON bodies of one schema. */
export const jsonContent = (schema: JsonObject): JsonObject => ({ 'application/json': { schema } });

/** PROTOCOL Conventions: every HTTP error has this shape. */
export const ERROR_SCHEMA: JsonObject = {
  type: 'object',
  description:
    'Every HTTP error (PROTOCOL Conventions). `code` is stable and meant for programs (PROTOCOL §5); `message` is for people and may change.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^[A-Z][A-Z_]*$' },
        message: { type: 'string' },
        retryAfterMs: {
          type: 'integer',
          minimum: 0,
          description: 'With every 429 and every 503 that knows when to try again.',
        },
      },
    },
  },
};

export const RETRY_AFTER_HEADER: JsonObject = {
  description:
    '`retryAfterMs` in whole seconds, rounded up; sent with every refusal that has `retryAfterMs`.',
  schema: { type: 'string', pattern: '^[1-9][0-9]*$' },
};

/** What each refusal status means, whatever the route. */
const STATUS_MEANING: Readonly<Record<number, string>> = {
  400: 'The request breaks a rule of the protocol',
  401: 'No valid token of an active account (or, at login, wrong credentials)',
  403: 'The caller may not do this',
  404: 'No such resource, or one the caller may not see',
  409: 'Conflicts with what exists',
  413: 'The request body is over 64 KiB',
  415: 'A Content-Encoding other than gzip, deflate, br or identity, or a charset that is not a UTF',
  429: 'Over a rate limit; `retryAfterMs` and `Retry-After` say when to try again',
  500: 'A fault on Parley’s side; safe to try again',
  503: 'A dependency (Kafka, PostgreSQL, Redis) is unavailable for a moment, or the node is overloaded; try again',
};

/**
 * A refusal with the codes a route may answer with at that status. The codes are an `enum` of the
 * response's schema, so a test validating real answers against the document notices a code that is
 * not documented for the route.
 */
export function refusal(status: number, codes: readonly string[], retryAfter = false): JsonObject {
  const meaning = STATUS_MEANING[status];
  if (!meaning) throw new Error(`no meaning for refusal status ${status}`);
  return {
    description: `${meaning}: ${codes.map((code) => `\`${code}\``).join(', ')}.`,
    ...(retryAfter ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } } : {}),
    content: jsonContent({
      allOf: [
        schemaRef('Error'),
        {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { enum: [...codes] } } } },
        },
      ],
    }),
  };
}

/** The refusals of a route, by status. */
export function refusals(
  byStatus: Readonly<Record<number, readonly string[]>>,
  options: { readonly retryAfterHeader?: boolean } = {},
): Record<string, JsonObject> {
  const withHeader = options.retryAfterHeader ?? true;
  return Object.fromEntries(
    Object.entries(byStatus).map(([status, codes]) => [
      status,
      refusal(Number(status), codes, withHeader && (status === '429' || status === '503')),
    ]),
  );
}

/** A JSON answer of one schema. */
export const answer = (description: string, schema: JsonObject): JsonObject => ({
  description,
  content: jsonContent(schema),
});

export const noContent = (description: string): JsonObject => ({ description });

/** A path parameter holding a client id (PROTOCOL Conventions: 1 to 64 of `A-Z a-z 0-9 _ . : -`). */
export const idParameter = (name: string, description: string): JsonObject => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: schemaRef('ClientId'),
});

export const queryParameter = (name: string, description: string, schema: JsonObject, required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

/** A JSON request body. */
export const jsonBody = (schema: JsonObject): JsonObject => ({
  required: true,
  content: jsonContent(schema),
});

/** A route that needs no token (the document's default is the bearer token). */
export const PUBLIC: { readonly security: readonly JsonObject[] } = { security: [] };

/** Any bearer-token route: PROTOCOL Conventions, "Who may call what". */
export const TOKEN_CODES = ['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'ACCOUNT_DISABLED'];
/** A body the JSON parser could not read (every route that takes a body). */
export const UNREADABLE = ['MALFORMED_JSON', 'MALFORMED_BODY'];
/** ... and one that is JSON but not an object (routes that read it through `asObject`). */
export const NOT_AN_OBJECT = [...UNREADABLE, 'INVALID_BODY'];
/** What the JSON body parser refuses, besides 400. */
export const BODY_REFUSALS = { 413: ['BODY_TOO_LARGE'], 415: ['UNSUPPORTED_MEDIA_TYPE'] };
/** Every route may meet these (the token check reads PostgreSQL; a fault is a fault). */
export const ALWAYS = { 500: ['INTERNAL'], 503: ['UNAVAILABLE'] };

/** The refusals of a bearer-token route: its own, and those every such route may meet. */
export const signedIn = (byStatus: Readonly<Record<number, readonly string[]>>) =>
  refusals({ 401: TOKEN_CODES, ...ALWAYS, ...byStatus });
