import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { dropDatabase } from '@parley/postgres';
import { startRegistryServer, type RunningRegistry } from '@parley/schema-registry';
import { databaseUrlFor, randomName, stackEnv } from '@parley/testing';

const schemaV1 = {
  type: 'record',
  name: 'Thing',
  namespace: 'io.parley.test',
  fields: [{ name: 'id', type: 'string' }],
};
const schemaV2 = { ...schemaV1, fields: [...schemaV1.fields, { name: 'size', type: 'int', default: 0 }] };
const breaking = { ...schemaV1, fields: [...schemaV1.fields, { name: 'colour', type: 'string' }] };
const asText = (schema: object) => JSON.stringify(schema);

describe('schema registry (Confluent-compatible, on PostgreSQL)', () => {
  const databaseUrl = databaseUrlFor(stackEnv().databaseUrl, randomName('t_registry').toLowerCase());
  let registry: RunningRegistry;

  const http = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${registry.url}${path}`, {
      method,
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    registry = await startRegistryServer({ databaseUrl, port: 0 });
  });

  afterAll(async () => {
    await registry.close();
    await dropDatabase(databaseUrl);
  });

  it('answers /healthz, /readyz and /metrics like every Parley service', async () => {
    expect((await fetch(`${registry.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${registry.url}/readyz`)).json()).toEqual({
      status: 'ready',
      checks: { postgres: 'ok' },
    });
    await fetch(`${registry.url}/subjects`);
    const text = await (await fetch(`${registry.url}/metrics`)).text();
    expect(text).toMatch(/parley_http_requests_total\{[^}]*route="\/subjects"[^}]*\} \d+/);
    expect(text).toContain('service="schema-registry"');
  });

  it('serves the @kafkajs/confluent-schema-registry client: register, encode, decode, look up', async () => {
    const client = new SchemaRegistry({ host: registry.url });
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: asText(schemaV1) },
      { subject: 'things-value' },
    );
    const encoded = await client.encode(id, { id: 'a-1' });
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await client.decode(encoded)).toEqual({ id: 'a-1' });
    expect(await client.getLatestSchemaId('things-value')).toBe(id);
    expect(
      await client.getRegistryIdBySchema('things-value', { type: SchemaType.AVRO, schema: asText(schemaV1) }),
    ).toBe(id);
    expect(await client.getRegistryId('things-value', 1)).toBe(id);

    // Evolution within BACKWARD: a new version with a defaulted field.
    const v2 = await client.register(
      { type: SchemaType.AVRO, schema: asText(schemaV2) },
      { subject: 'things-value' },
    );
    expect(v2.id).not.toBe(id);
    expect(await client.getLatestSchemaId('things-value')).toBe(v2.id);
    // Breaking it is refused by the registry, through the client too.
    await expect(
      client.register({ type: SchemaType.AVRO, schema: asText(breaking) }, { subject: 'things-value' }),
    ).rejects.toThrow(/incompatible/i);
  });

  it('gives one global id per schema and returns it again on re-registration', async () => {
    const first = await http('POST', '/subjects/global-a/versions', { schema: asText(schemaV1) });
    const again = await http('POST', '/subjects/global-a/versions', {
      schema: JSON.stringify(schemaV1, null, 2),
    });
    const other = await http('POST', '/subjects/global-b/versions', { schema: asText(schemaV1) });
    expect(first.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(other.body.id).toBe(first.body.id);
    expect((await http('GET', '/subjects/global-a/versions')).body).toEqual([1]);
    const byId = await http('GET', `/schemas/ids/${String(first.body.id)}`);
    expect(JSON.parse(byId.body.schema as string)).toEqual(schemaV1);
    const latest = await http('GET', '/subjects/global-b/versions/latest');
    expect(latest.body).toMatchObject({ subject: 'global-b', version: 1, id: first.body.id });
    expect((await http('GET', '/subjects')).body).toEqual(expect.arrayContaining(['global-a', 'global-b']));
  });

  it('keeps ids stable across a restart (durable storage)', async () => {
    const before = await http('POST', '/subjects/durable/versions', { schema: asText(schemaV2) });
    await registry.close();
    registry = await startRegistryServer({ databaseUrl, port: 0 });
    const after = await http('GET', '/subjects/durable/versions/1');
    expect(after.body.id).toBe(before.body.id);
    const reRegistered = await http('POST', '/subjects/durable/versions', { schema: asText(schemaV2) });
    expect(reRegistered.body.id).toBe(before.body.id);
  });

  it('applies each compatibility level', async () => {
    await http('POST', '/subjects/levels/versions', { schema: asText(schemaV1) });
    expect((await http('GET', '/config/levels')).body.error_code).toBe(40408);
    expect((await http('GET', '/config/levels?defaultToGlobal=true')).body.compatibilityLevel).toBe(
      'BACKWARD',
    );
    expect((await http('GET', '/config')).body.compatibilityLevel).toBe('BACKWARD');

    const check = async (schema: object) =>
      (
        await http('POST', '/compatibility/subjects/levels/versions/latest?verbose=true', {
          schema: asText(schema),
        })
      ).body;
    expect((await check(breaking)).is_compatible).toBe(false);
    expect((await check(breaking)).messages).toEqual([expect.stringMatching(/colour/)]);

    expect((await http('PUT', '/config/levels', { compatibility: 'FORWARD' })).body).toEqual({
      compatibility: 'FORWARD',
    });
    expect((await http('GET', '/config/levels')).body.compatibilityLevel).toBe('FORWARD');
    // Old readers ignore the added field, so under FORWARD it is fine.
    expect((await check(breaking)).is_compatible).toBe(true);

    await http('PUT', '/config/levels', { compatibility: 'FULL' });
    expect((await check(breaking)).is_compatible).toBe(false);
    expect((await check(schemaV2)).is_compatible).toBe(true);

    await http('PUT', '/config/levels', { compatibility: 'NONE' });
    const registered = await http('POST', '/subjects/levels/versions', { schema: asText(breaking) });
    expect(registered.status).toBe(200);

    await http('PUT', '/config/levels', { compatibility: 'BACKWARD_TRANSITIVE' });
    // Checked against every version: schemaV2 reads data of version 1 and of the breaking version 2 alike.
    const allVersions = await http('POST', '/compatibility/subjects/levels/versions', {
      schema: asText(schemaV2),
    });
    expect(allVersions.body.is_compatible).toBe(true);
  });

  it('answers bad input with Confluent error codes', async () => {
    await http('POST', '/subjects/errors/versions', { schema: asText(schemaV1) });
    const cases: [string, string, unknown, number, number][] = [
      ['GET', '/subjects/nope/versions', undefined, 404, 40401],
      ['GET', '/subjects/nope/versions/1', undefined, 404, 40401],
      ['POST', '/subjects/nope', { schema: asText(schemaV1) }, 404, 40401],
      ['GET', '/subjects/errors/versions/7', undefined, 404, 40402],
      ['POST', '/compatibility/subjects/errors/versions/9', { schema: asText(schemaV1) }, 404, 40402],
      ['GET', '/schemas/ids/999999', undefined, 404, 40403],
      ['POST', '/subjects/errors', { schema: asText(schemaV2) }, 404, 40403],
      ['GET', '/config/errors', undefined, 404, 40408],
      ['POST', '/subjects/errors/versions', { schema: asText(breaking) }, 409, 409],
      ['POST', '/subjects/errors/versions', { schema: '{"type": "record", "name": "X"}' }, 422, 42201],
      ['POST', '/subjects/errors/versions', { schema: 'not json at all' }, 422, 42201],
      ['POST', '/subjects/errors/versions', { schema: asText(schemaV1), schemaType: 'PROTOBUF' }, 422, 42201],
      ['GET', '/subjects/errors/versions/zero', undefined, 422, 42202],
      ['GET', '/subjects/errors/versions/0', undefined, 422, 42202],
      ['PUT', '/config/errors', { compatibility: 'SIDEWAYS' }, 422, 42203],
      ['PUT', '/config', { compatibility: 42 }, 422, 42203],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await http(method, path, body);
      expect({ method, path, status: response.status, code: response.body.error_code }).toEqual({
        method,
        path,
        status,
        code,
      });
      expect(typeof response.body.message).toBe('string');
    }
    const malformed = await http('POST', '/subjects/errors/versions', '{"schema": ');
    expect(malformed.status).toBe(400);
    // Refused registrations changed nothing.
    expect((await http('GET', '/subjects/errors/versions')).body).toEqual([1]);
    expect((await http('GET', '/config/errors')).body.error_code).toBe(40408);
  });

  it('soft-deletes subjects and versions', async () => {
    await http('POST', '/subjects/doomed/versions', { schema: asText(schemaV1) });
    await http('POST', '/subjects/doomed/versions', { schema: asText(schemaV2) });
    expect((await http('DELETE', '/subjects/doomed/versions/1')).body).toBe(1);
    expect((await http('GET', '/subjects/doomed/versions')).body).toEqual([2]);
    expect((await http('DELETE', '/subjects/doomed')).body).toEqual([2]);
    expect((await http('GET', '/subjects/doomed/versions')).body.error_code).toBe(40401);
  });
});
