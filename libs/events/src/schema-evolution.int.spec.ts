import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { latestSchema, loadSchemaHistories, subjectFor } from '@parley/events';
import { randomName, stackEnv } from '@parley/testing';

/**
 * Every schema version must be registrable after the one before it under BACKWARD, in a real
 * registry. A change to schemas/ that breaks that fails here (and `npm start` would refuse it too).
 */
describe('schema evolution against the registry', () => {
  const registry = new SchemaRegistry({ host: stackEnv().schemaRegistryUrl });
  const run = randomName('evolution');

  it.each(loadSchemaHistories().map((h) => [h.name, h] as const))(
    '%s: every version is BACKWARD compatible',
    async (_n, history) => {
      const subject = `${run}-${subjectFor(history.topic, history.fullName)}`;
      const ids: number[] = [];
      for (const version of history.versions) {
        const { id } = await registry.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(version) },
          { subject },
        );
        ids.push(id);
      }
      // The registry took each file as a version of its own, in order: none refused, none merged.
      const listed = await fetch(
        `${stackEnv().schemaRegistryUrl}/subjects/${encodeURIComponent(subject)}/versions`,
      );
      expect(await listed.json()).toEqual(history.versions.map((_, i) => i + 1));
      expect(new Set(ids).size).toBe(history.versions.length);
    },
  );

  it('catches a breaking change (a new field without a default)', async () => {
    const history = loadSchemaHistories()[0]!;
    const subject = `${run}-broken-${history.name}`;
    const current = latestSchema(history);
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(current) }, { subject });
    const broken = {
      ...current,
      fields: [...current.fields, { name: 'mandatory', type: 'string', doc: 'no default' }],
    };
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(broken) }, { subject }),
    ).rejects.toThrow(/incompatible/i);
  });
});
