import { randomUUID } from 'node:crypto';
import { BatchingProducer, readTopic } from '@parley/kafka';
import {
  DecodeError,
  EVENT_TOPIC,
  EventSerde,
  loadSchemaHistories,
  type EventSchemaHistory,
  type ParleyEvent,
} from '@parley/events';
import { createTestWorld, type TestWorld } from '@parley/testing';

const common = () => ({ eventId: randomUUID(), occurredAt: Date.now() });

/** One example of every event type, as a producer would write it. */
const examples: ParleyEvent[] = [
  {
    type: 'MessageSent',
    ...common(),
    messageId: 'm1',
    conversationId: 'c1',
    senderId: 'u1',
    recipientId: 'u2',
    text: 'hello ✓',
    replyToMessageId: null,
  },
  {
    type: 'MessageDelivered',
    ...common(),
    messageId: 'm1',
    conversationId: 'c1',
    senderId: 'u1',
    recipientId: 'u2',
    deviceId: 'd1',
    seq: 42,
  },
  { type: 'MessageRead', ...common(), conversationId: 'c1', readerId: 'u2', upToSeq: 42 },
  {
    type: 'MessageDeleted',
    ...common(),
    messageId: 'm1',
    conversationId: 'c1',
    deletedBy: 'u1',
    scope: 'EVERYONE',
  },
  {
    type: 'MessageEdited',
    ...common(),
    messageId: 'm1',
    conversationId: 'c1',
    editedBy: 'u1',
    editId: 'e1',
    text: 'edited ✓ 😀',
  },
  {
    type: 'DeliveryPending',
    ...common(),
    messageId: 'm1',
    conversationId: 'c1',
    senderId: 'u1',
    recipientId: 'u2',
  },
  {
    type: 'MessageFailed',
    ...common(),
    messageId: 'm1',
    conversationId: 'c1',
    senderId: 'u1',
    recipientId: 'u2',
    reason: 'ttl-expired',
  },
  {
    type: 'ConversationCreated',
    ...common(),
    conversationId: 'c2',
    kind: 'GROUP',
    title: 'Team',
    createdBy: 'u1',
    memberIds: ['u1', 'u2', 'u3'],
  },
  { type: 'MemberAdded', ...common(), conversationId: 'c2', userId: 'u4', addedBy: 'u1' },
  { type: 'MemberRemoved', ...common(), conversationId: 'c2', userId: 'u4', removedBy: 'u4' },
  { type: 'PresenceChanged', ...common(), userId: 'u1', status: 'ONLINE', lastSeen: Date.now() },
  { type: 'UserRegistered', ...common(), userId: 'u1', username: 'ada', displayName: null },
  {
    type: 'UserStatusChanged',
    ...common(),
    userId: 'u1',
    status: 'BLOCKED',
    changedBy: 'admin',
    reason: 'spam',
  },
  {
    type: 'IdentityLinked',
    ...common(),
    userId: 'u1',
    provider: 'google',
    subject: '1094',
    verifiedEmail: 'ada@example.com',
  },
  { type: 'IdentityUnlinked', ...common(), userId: 'u1', provider: 'google', subject: '1094' },
  {
    type: 'CredentialsSet',
    ...common(),
    userId: 'u1',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  },
];

const keyOf = (event: ParleyEvent): string =>
  'conversationId' in event ? event.conversationId : event.userId;

describe('EventSerde through the real broker and registry', () => {
  let world: TestWorld;
  let producer: BatchingProducer;
  const serde = () => new EventSerde(world.env.schemaRegistryUrl);

  beforeAll(async () => {
    world = await createTestWorld('serde');
    producer = new BatchingProducer(world.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await world.dispose();
  });

  it('covers every event type', () => {
    expect(new Set(examples.map((e) => e.type))).toEqual(new Set(Object.keys(EVENT_TOPIC)));
  });

  it('produces and consumes every event type in the Confluent wire format', async () => {
    const writer = serde();
    await writer.registerAll();
    await producer.send(
      await Promise.all(
        examples.map(async (event) => ({
          topic: world.topic(EVENT_TOPIC[event.type]),
          key: keyOf(event),
          value: await writer.encode(event),
          headers: { 'event-type': event.type },
        })),
      ),
    );

    // A separate serde instance, as a consumer in another process would have.
    const reader = serde();
    const received: ParleyEvent[] = [];
    for (const topic of new Set(Object.values(EVENT_TOPIC))) {
      const expected = examples.filter((e) => EVENT_TOPIC[e.type] === topic).length;
      const records = await readTopic(world.kafka, world.topic(topic), (r) => r.length >= expected);
      for (const record of records) {
        expect(record.value?.[0]).toBe(0); // magic byte
        received.push(await reader.decode(record.value as Buffer));
      }
    }
    const byId = (a: ParleyEvent, b: ParleyEvent) => a.eventId.localeCompare(b.eventId);
    expect(received.sort(byId)).toEqual([...examples].sort(byId));
  });

  it('reads a record written with an older schema version into the current shape', async () => {
    // A synthetic event type whose v2 adds a defaulted field: v1 data must decode with the default.
    const base = loadSchemaHistories().find((h) => h.name === 'MemberAdded') as EventSchemaHistory;
    const v1 = { ...base.versions[0]!, name: 'Evolving', namespace: `io.parley.test.t${Date.now()}` };
    const v2 = {
      ...v1,
      fields: [...v1.fields, { name: 'note', type: 'string', default: 'none', doc: 'added in v2' }],
    };
    const history = (versions: EventSchemaHistory['versions']): EventSchemaHistory[] => [
      { topic: 'chat.conversations', name: 'Evolving', fullName: `${v1.namespace}.Evolving`, versions },
    ];
    const oldWriter = new EventSerde(world.env.schemaRegistryUrl, history([v1]));
    await oldWriter.registerAll();
    const payload = { type: 'Evolving', ...common(), conversationId: 'c', userId: 'u', addedBy: 'x' };
    const bytes = await oldWriter.encode(payload as unknown as ParleyEvent);

    const newReader = new EventSerde(world.env.schemaRegistryUrl, history([v1, v2]));
    await newReader.registerAll();
    expect(await newReader.decode(bytes)).toEqual({ ...payload, note: 'none' });
  });

  it('refuses bytes that are not a Parley event as undecodable, not as a retriable failure', async () => {
    const reader = serde();
    await expect(reader.decode(Buffer.from('{"json": true}'))).rejects.toBeInstanceOf(DecodeError);
    await expect(reader.decode(Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1]))).rejects.toThrow(
      /unknown to the registry/,
    );
    const valid = await (async () => {
      const writer = serde();
      await writer.registerAll();
      return writer.encode(examples[0] as ParleyEvent);
    })();
    const truncated = valid.subarray(0, 8);
    await expect(reader.decode(truncated)).rejects.toBeInstanceOf(DecodeError);
  });
});
