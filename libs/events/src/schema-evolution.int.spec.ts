import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  EventSerde,
  latestSchema,
  loadSchemaHistories,
  readSchemaId,
  subjectFor,
  type MessageSent,
} from '@parley/events';
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

/**
 * MessageSent v2 added `replyToMessageId` (null by default): records of both versions live side by
 * side on chat.messages, and services of both versions read them, through the real registry.
 */
describe('MessageSent v1 and v2 side by side', () => {
  const url = stackEnv().schemaRegistryUrl;
  const histories = loadSchemaHistories();
  const messageSent = histories.find((h) => h.name === 'MessageSent')!;
  // A service built before v2: its schemas/ ended at MessageSent v1.
  const before = histories.map((h) => (h === messageSent ? { ...h, versions: h.versions.slice(0, 1) } : h));
  const current = new EventSerde(url);
  const old = new EventSerde(url, before);
  const v1Record = {
    type: 'MessageSent' as const,
    eventId: '6f1c9a4e-2b7d-4c1e-9a8f-0d3b5e7c9a1f',
    occurredAt: 1_764_000_000_000,
    messageId: 'm-2',
    conversationId: 'c-1',
    senderId: 'u-1',
    recipientId: null,
    text: 'an answer',
  };

  beforeAll(async () => {
    await current.registerAll();
    await old.registerAll();
  });

  it('has a v2 whose new field has a default', () => {
    expect(messageSent.versions).toHaveLength(2);
    expect(latestSchema(messageSent).fields.at(-1)).toMatchObject({
      name: 'replyToMessageId',
      type: ['null', 'string'],
      default: null,
    });
  });

  it('given a record an old producer wrote with v1, when a current service reads it then replyToMessageId is null', async () => {
    const written = await old.encode(v1Record as unknown as MessageSent);
    const currentId = await current.encode({ ...v1Record, replyToMessageId: null });
    expect(readSchemaId(written)).not.toBe(readSchemaId(currentId));
    expect(await current.decode(written)).toEqual({ ...v1Record, replyToMessageId: null });
  });

  it('given a record a current producer wrote with v2, when a service still on v1 reads it then it gets the v1 fields', async () => {
    const written = await current.encode({ ...v1Record, replyToMessageId: 'm-1' });
    expect(await old.decode(written)).toEqual(v1Record);
    expect(await current.decode(written)).toEqual({ ...v1Record, replyToMessageId: 'm-1' });
  });

  it.each([
    [
      'a new field without a default',
      (fields: readonly AvroField[]) => [...fields, { name: 'priority', type: 'int', doc: 'x' }],
    ],
    [
      'a field whose type changes',
      (fields: readonly AvroField[]) => fields.map((f) => (f.name === 'text' ? { ...f, type: 'int' } : f)),
    ],
  ])('refuses a v3 of MessageSent with %s (BACKWARD)', async (_what, change) => {
    const subject = `${randomName('evolution')}-MessageSent`;
    for (const version of messageSent.versions)
      await registry().register({ type: SchemaType.AVRO, schema: JSON.stringify(version) }, { subject });
    const v2 = latestSchema(messageSent);
    const v3 = { ...v2, fields: change(v2.fields) };
    await expect(
      registry().register({ type: SchemaType.AVRO, schema: JSON.stringify(v3) }, { subject }),
    ).rejects.toThrow(/incompatible/i);
  });
});

type AvroField = ReturnType<typeof latestSchema>['fields'][number];

const registry = () => new SchemaRegistry({ host: stackEnv().schemaRegistryUrl });
