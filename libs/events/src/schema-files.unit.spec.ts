import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import avro from 'avsc';
import { TOPICS } from '@parley/topics';
import { EVENT_TOPIC, generateEventTypes, latestSchema, loadSchemaHistories } from '@parley/events';

const histories = loadSchemaHistories();

describe('schemas/', () => {
  it('has one schema per event of PROTOCOL §4 (plus credentials)', () => {
    expect(histories.map((h) => h.name).sort()).toEqual(
      [
        'MessageSent',
        'MessageDelivered',
        'MessageRead',
        'MessageDeleted',
        'MessageEdited',
        'DeliveryPending',
        'MessageFailed',
        'ConversationCreated',
        'MemberAdded',
        'MemberRemoved',
        'PresenceChanged',
        'UserRegistered',
        'UserStatusChanged',
        'IdentityLinked',
        'IdentityUnlinked',
        'CredentialsSet',
      ].sort(),
    );
  });

  it.each(histories.map((h) => [h.name, h] as const))('%s follows the conventions', (_name, history) => {
    expect(Object.values(TOPICS)).toContain(history.topic);
    for (const schema of history.versions) {
      expect(schema.namespace).toMatch(/^io\.parley\.events\.[a-z]+$/);
      expect(schema.doc).toBeTruthy();
      expect(schema.fields[0]).toMatchObject({
        name: 'eventId',
        type: { type: 'string', logicalType: 'uuid' },
      });
      expect(schema.fields[1]).toMatchObject({
        name: 'occurredAt',
        type: { type: 'long', logicalType: 'timestamp-millis' },
      });
      for (const field of schema.fields) expect(field.doc).toBeTruthy();
      expect(() => avro.Type.forSchema(schema as avro.Schema)).not.toThrow();
    }
  });

  it('keeps every version readable by the next (BACKWARD) and by all later ones', () => {
    for (const history of histories) {
      const types = history.versions.map((v) => avro.Type.forSchema(v as avro.Schema));
      types.forEach((writer, i) => {
        for (const reader of types.slice(i + 1)) expect(() => reader.createResolver(writer)).not.toThrow();
      });
    }
  });
});

describe('generated event types', () => {
  it('match the schemas (run `npm run schemas:types` after changing schemas/)', () => {
    const committed = readFileSync(resolve(__dirname, 'generated/event-types.ts'), 'utf8');
    expect(committed).toBe(generateEventTypes(histories));
  });

  it('name each event topic', () => {
    for (const history of histories) {
      expect(EVENT_TOPIC[history.name as keyof typeof EVENT_TOPIC]).toBe(history.topic);
      expect(latestSchema(history)).toBe(history.versions[history.versions.length - 1]);
    }
  });
});
