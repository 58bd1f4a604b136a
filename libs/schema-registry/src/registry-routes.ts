import express, { type NextFunction, type Request, type Response } from 'express';
import { parseAvroSchema } from './avro-schema';
import { parseCompatibilityLevel } from './compatibility';
import { ERROR_CODES, RegistryError, subjectNotFound, versionNotFound } from './registry-error';
import type { RegistryStore, SubjectVersion } from './registry-store';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** `latest`, or a positive version number; 42202 otherwise. */
function parseVersion(value: string): number | 'latest' {
  if (value === 'latest' || value === '-1') return 'latest';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) {
    throw new RegistryError(
      ERROR_CODES.invalidVersion,
      `The specified version '${value}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }
  return n;
}

function body(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new RegistryError(ERROR_CODES.malformedRequest, 'Request body must be a JSON object.');
  }
  return b as Record<string, unknown>;
}

const param = (req: Request, name: string): string => String(req.params[name]);

/** The subject's version, or Confluent's answer for which of subject and version is missing. */
async function requireVersion(
  store: RegistryStore,
  subject: string,
  version: number | 'latest',
): Promise<SubjectVersion> {
  const found = await store.version(subject, version);
  if (found) return found;
  if ((await store.versions(subject)).length === 0) throw subjectNotFound(subject);
  throw versionNotFound(subject, version);
}

/**
 * The part of Confluent Schema Registry's REST API that standard clients use (see docs/schema-registry.md).
 * Only Avro schemas; errors as `{error_code, message}` with Confluent's codes.
 */
export function registryRoutes(store: RegistryStore): express.Router {
  const router = express.Router();
  // Confluent clients send their own JSON media types; parse any body as JSON.
  router.use(express.json({ type: () => true, limit: '2mb' }));
  router.use((_req, res, next) => {
    res.type(CONTENT_TYPE);
    next();
  });

  router.get('/', (_req, res) => {
    res.json({});
  });

  router.get('/schemas/ids/:id', async (req, res) => {
    const id = Number(param(req, 'id'));
    const schema = Number.isInteger(id) ? await store.schemaById(id) : undefined;
    if (schema === undefined)
      throw new RegistryError(ERROR_CODES.schemaNotFound, `Schema ${param(req, 'id')} not found`);
    res.json({ schema });
  });

  router.get('/schemas/types', (_req, res) => {
    res.json(['AVRO']);
  });

  router.get('/subjects', async (_req, res) => {
    res.json(await store.subjects());
  });

  router.get('/subjects/:subject/versions', async (req, res) => {
    const versions = await store.versions(param(req, 'subject'));
    if (versions.length === 0) throw subjectNotFound(param(req, 'subject'));
    res.json(versions);
  });

  router.get('/subjects/:subject/versions/:version', async (req, res) => {
    res.json(await requireVersion(store, param(req, 'subject'), parseVersion(param(req, 'version'))));
  });

  router.get('/subjects/:subject/versions/:version/schema', async (req, res) => {
    const found = await requireVersion(store, param(req, 'subject'), parseVersion(param(req, 'version')));
    res.type(CONTENT_TYPE).send(found.schema);
  });

  router.post('/subjects/:subject/versions', async (req, res) => {
    const b = body(req);
    const parsed = parseAvroSchema(b.schema, b.schemaType);
    res.json(await store.register(param(req, 'subject'), parsed));
  });

  // Is this schema registered under the subject? Returns its version and id.
  router.post('/subjects/:subject', async (req, res) => {
    const subject = param(req, 'subject');
    const b = body(req);
    const parsed = parseAvroSchema(b.schema, b.schemaType);
    const found = await store.lookup(subject, parsed);
    if (!found) {
      if ((await store.versions(subject)).length === 0) throw subjectNotFound(subject);
      throw new RegistryError(ERROR_CODES.schemaNotFound, 'Schema not found');
    }
    res.json(found);
  });

  router.delete('/subjects/:subject', async (req, res) => {
    const deleted = await store.deleteSubject(param(req, 'subject'));
    if (deleted.length === 0) throw subjectNotFound(param(req, 'subject'));
    res.json(deleted);
  });

  router.delete('/subjects/:subject/versions/:version', async (req, res) => {
    const subject = param(req, 'subject');
    const found = await requireVersion(store, subject, parseVersion(param(req, 'version')));
    await store.deleteVersion(subject, found.version);
    res.json(found.version);
  });

  router.get('/config', async (_req, res) => {
    res.json({ compatibilityLevel: await store.effectiveLevel('') });
  });

  router.put('/config', async (req, res) => {
    const level = parseCompatibilityLevel(body(req).compatibility);
    await store.setCompatibilityLevel(null, level);
    res.json({ compatibility: level });
  });

  router.get('/config/:subject', async (req, res) => {
    const subject = param(req, 'subject');
    const own = await store.compatibilityLevel(subject);
    if (own) return void res.json({ compatibilityLevel: own });
    if (req.query.defaultToGlobal === 'true')
      return void res.json({ compatibilityLevel: await store.effectiveLevel(subject) });
    throw new RegistryError(
      ERROR_CODES.subjectLevelNotConfigured,
      `Subject '${subject}' does not have subject-level compatibility configured`,
    );
  });

  router.put('/config/:subject', async (req, res) => {
    const level = parseCompatibilityLevel(body(req).compatibility);
    await store.setCompatibilityLevel(param(req, 'subject'), level);
    res.json({ compatibility: level });
  });

  router.delete('/config/:subject', async (req, res) => {
    const subject = param(req, 'subject');
    const removed = await store.deleteCompatibilityLevel(subject);
    if (!removed) throw subjectNotFound(subject);
    res.json({ compatibilityLevel: removed });
  });

  const compatibility = async (req: Request, res: Response, version: number | 'latest' | 'all') => {
    const subject = param(req, 'subject');
    const b = body(req);
    const parsed = parseAvroSchema(b.schema, b.schemaType);
    let against: number | undefined;
    if (version === 'all') {
      if ((await store.versions(subject)).length === 0) throw subjectNotFound(subject);
    } else {
      against = (await requireVersion(store, subject, version)).version;
    }
    const problems = await store.problemsFor(subject, parsed, against);
    res.json({
      is_compatible: problems.length === 0,
      ...(req.query.verbose === 'true' ? { messages: problems } : {}),
    });
  };

  router.post('/compatibility/subjects/:subject/versions/:version', (req, res) =>
    compatibility(req, res, parseVersion(param(req, 'version'))),
  );
  router.post('/compatibility/subjects/:subject/versions', (req, res) => compatibility(req, res, 'all'));

  router.use((_req, _res) => {
    throw new RegistryError(404, 'HTTP 404 Not Found');
  });

  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof RegistryError) {
      res.status(error.httpStatus).json({ error_code: error.errorCode, message: error.message });
      return;
    }
    if (
      typeof error === 'object' &&
      error !== null &&
      (error as { type?: string }).type === 'entity.parse.failed'
    ) {
      res
        .status(400)
        .json({ error_code: ERROR_CODES.malformedRequest, message: 'Request body is not valid JSON.' });
      return;
    }
    res.status(500).json({
      error_code: ERROR_CODES.storeError,
      message: `Error in the backend data store: ${String((error as Error)?.message ?? error)}`,
    });
  });
  return router;
}
