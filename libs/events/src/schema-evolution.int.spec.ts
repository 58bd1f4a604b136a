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
      for (const version of history.versions) {
        await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(version) }, { subject });
      }
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
