// The OpenAPI documents on their own: valid OpenAPI 3.1 (the official schema), every `$ref` resolves,
// every schema compiles under ajv's strict mode, and the request schemas agree with the domain rules
// that really parse the bodies (the same generated bodies accepted by both or refused by both).
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  asObject,
  parseAccountStatusRequest,
  parseClientId,
  parseDisplayName,
  parseEditRequest,
  parseGroupRequest,
  parsePassword,
  parseSendRequest,
  parseStatusChange,
  parseUsername,
} from '@parley/domain';
import { ANALYTICS_OPENAPI, GATEWAY_OPENAPI } from '@parley/http-api';
import { OpenApiValidator, danglingRefs, documentedRoutes, openApi31Problems } from '../test/openapi-check';

const DOCUMENTS = { gateway: GATEWAY_OPENAPI, analytics: ANALYTICS_OPENAPI };

describe('the OpenAPI documents', () => {
  describe.each(Object.entries(DOCUMENTS))('%s', (_name, document) => {
    it('given the official OpenAPI 3.1 schema, then the document is valid', () => {
      expect(openApi31Problems(document)).toEqual([]);
    });

    it('given every $ref, then each points at something', () => {
      expect(danglingRefs(document)).toEqual([]);
    });

    it('given every schema of every route, then each compiles under strict JSON Schema 2020-12', () => {
      const validator = new OpenApiValidator(document);
      const compiled: string[] = [];
      for (const route of documentedRoutes(document)) {
        const method = route.method.toLowerCase();
        const body = (route.operation.requestBody as { content?: object } | undefined)?.content;
        if (body) {
          validator.schemaAt([
            'paths',
            route.path,
            method,
            'requestBody',
            'content',
            'application/json',
            'schema',
          ]);
          compiled.push(`${route.key} body`);
        }
        for (const [status, response] of Object.entries(
          route.operation.responses as Record<string, object>,
        )) {
          if (!('content' in response)) continue;
          validator.schemaAt([
            'paths',
            route.path,
            method,
            'responses',
            status,
            'content',
            'application/json',
            'schema',
          ]);
          compiled.push(`${route.key} ${status}`);
        }
      }
      expect(compiled.length).toBeGreaterThan(documentedRoutes(document).length);
    });

    it('given every route but the public ones, then it documents the bearer token refusal (401)', () => {
      for (const route of documentedRoutes(document)) {
        const isPublic = Array.isArray(route.operation.security) && route.operation.security.length === 0;
        const statuses = Object.keys(route.operation.responses as object);
        expect([route.key, isPublic || statuses.includes('401')]).toEqual([route.key, true]);
      }
    });
  });

  it('given a broken document, then the official schema refuses it (the check can fail)', () => {
    const paths = GATEWAY_OPENAPI.paths as Record<string, Record<string, object>>;
    const withoutDescription = {
      ...GATEWAY_OPENAPI,
      paths: { ...paths, '/v1/users/me': { get: { responses: { 200: {} } } } },
    };
    expect(openApi31Problems(withoutDescription)).not.toEqual([]);
    const { info: _info, ...withoutInfo } = GATEWAY_OPENAPI;
    expect(openApi31Problems(withoutInfo)).not.toEqual([]);
  });
});

/** Whether a parse throws (a refusal) or not. */
const accepts = (parse: () => unknown): boolean => {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
};

/** A body of the given fields, each from its pool; `undefined` leaves the field out. */
const bodyOf = (pools: Readonly<Record<string, readonly unknown[]>>) =>
  fc
    .record(
      Object.fromEntries(Object.entries(pools).map(([field, pool]) => [field, fc.constantFrom(...pool)])),
    )
    .map((fields) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)));

const ID_POOL = ['a', randomUUID(), 'x'.repeat(64), 'x'.repeat(65), '', 'no spaces', 'é', 42, undefined];

describe('the request schemas and the domain rules', () => {
  const validator = new OpenApiValidator(GATEWAY_OPENAPI);
  const schema = (name: string) => validator.schemaAt(['components', 'schemas', name]);

  const cases: Record<
    string,
    { pools: Record<string, readonly unknown[]>; parse: (body: Record<string, unknown>) => unknown }
  > = {
    RegisterRequest: {
      pools: {
        username: ['ada', 'ab', 'a'.repeat(32), 'a'.repeat(33), 'Ada', 'a b', 'a_b.c-d', 5, undefined],
        password: [
          'password',
          'short',
          'x'.repeat(256),
          'x'.repeat(257),
          '😀'.repeat(8),
          '😀'.repeat(7),
          12345678,
          undefined,
        ],
        displayName: [
          'Ada',
          '',
          '   ',
          ' Ada ',
          'x'.repeat(64),
          'x'.repeat(65),
          'a\u0001b',
          null,
          5,
          undefined,
        ],
      },
      parse: (body) => [
        parseUsername(body.username),
        parsePassword(body.password),
        parseDisplayName(body.displayName),
      ],
    },
    SendRequest: {
      // (A `null` target counts as absent for the domain rules; the schema does not say so.)
      pools: {
        messageId: ID_POOL,
        conversationId: ['c1', randomUUID(), '', undefined, undefined],
        recipientId: ['r1', 'bad id', undefined, undefined],
        text: [
          'hi',
          ' ',
          '',
          ' a ',
          '\n\t',
          'x'.repeat(4_000),
          'x'.repeat(4_001),
          '😀'.repeat(4_000),
          7,
          undefined,
        ],
      },
      parse: (body) => parseSendRequest(asObject(body)),
    },
    EditRequest: {
      // (A `null` editId counts as absent for the domain rules; the schema does not say so.)
      pools: {
        text: [
          'better',
          '',
          ' ',
          ' b ',
          '\n',
          'x'.repeat(4_000),
          'x'.repeat(4_001),
          '😀'.repeat(4_000),
          7,
          undefined,
        ],
        editId: ID_POOL,
      },
      parse: (body) => parseEditRequest(asObject(body), 'from-the-path'),
    },
    MessageStatusRequest: {
      pools: {
        status: ['read', 'deleted_for_sender', 'deleted_for_everybody', 'READ', 'unread', 1, undefined],
      },
      parse: (body) => parseStatusChange(asObject(body)),
    },
    GroupRequest: {
      pools: {
        title: ['team', '', '  ', ' t ', 'x'.repeat(100), 'x'.repeat(101), 3, undefined],
        memberIds: [
          [],
          ['a'],
          ['a', 'a'],
          ['bad id'],
          [7],
          Array(1_000).fill('m'),
          Array(1_001).fill('m'),
          'a',
          undefined,
        ],
      },
      parse: (body) => parseGroupRequest(asObject(body)),
    },
    AddMemberRequest: {
      pools: { userId: ID_POOL },
      parse: (body) => parseClientId(asObject(body).userId, 'userId'),
    },
    AccountStatusRequest: {
      // (The rule also takes the status in any case; the document names the lower-case spelling.)
      pools: {
        status: ['active', 'blocked', 'deleted', 'gone', 5, undefined],
        reason: ['', 'why', 'x'.repeat(500), 'x'.repeat(501), null, 3, undefined],
      },
      parse: (body) => parseAccountStatusRequest(asObject(body)),
    },
  };

  it.each(Object.keys(cases))(
    'given generated %s bodies, then the schema accepts exactly those the domain rules accept',
    (name) => {
      const { pools, parse } = cases[name]!;
      const validate = schema(name);
      const disagreements: string[] = [];
      fc.assert(
        fc.property(bodyOf(pools), (body) => {
          const byRules = accepts(() => parse(body));
          if (byRules !== validate(body))
            disagreements.push(
              `${JSON.stringify(body).slice(0, 200)}: the rules ${byRules ? 'accept' : 'refuse'} it`,
            );
        }),
        { numRuns: 400 },
      );
      expect([...new Set(disagreements)]).toEqual([]);
    },
  );
});
