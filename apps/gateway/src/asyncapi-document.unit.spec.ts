// docs/asyncapi.yaml against the code: it is a valid AsyncAPI 3.0 document (@asyncapi/parser, with
// the Avro schema parser, so every referenced .avsc is read and checked too); its STOMP channels are
// exactly the destinations of the gateway's tables, its Kafka channels exactly the topic catalogue,
// and each topic carries exactly the events of schemas/<topic>/, each at its latest version.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { latestSchema, loadSchemaHistories } from '@parley/events';
import { CHAT_DESTINATIONS, REFRESH_DESTINATION, USER_QUEUES } from '@parley/stomp-gateway';
import { TOPIC_CATALOGUE } from '@parley/topics';

const FILE = resolve(__dirname, '../../../docs/asyncapi.yaml');

/** Every destination the gateway serves, as the authorisation matrix names them. */
const SEND_DESTINATIONS = [...CHAT_DESTINATIONS, REFRESH_DESTINATION];
const SUBSCRIPTIONS = [
  ...USER_QUEUES.map((queue) => `/user/queue/${queue}`),
  '/topic/conversation.{conversationId}',
];

/** Spectral's severities (0 error, 1 warning, 2 information, 3 hint): errors and warnings fail. */
const failsTheDocument = (severity: number) => severity <= 1;

const sorted = (values: Iterable<string>) => [...values].sort();

describe('docs/asyncapi.yaml', () => {
  let document: AsyncAPIDocumentInterface;

  beforeAll(async () => {
    const parser = new Parser({ schemaParsers: [AvroSchemaParser()] });
    const { document: parsed, diagnostics } = await parser.parse(readFileSync(FILE, 'utf8'), {
      source: FILE,
    });
    const problems = diagnostics
      .filter((d) => failsTheDocument(Number(d.severity)))
      .map((d) => `${d.code} at ${d.path.join('/')}: ${d.message}`);
    expect(problems).toEqual([]);
    if (!parsed) throw new Error('the document did not parse');
    document = parsed;
  });

  const addressesOn = (server: string) =>
    document
      .channels()
      .all()
      .filter((channel) =>
        channel
          .servers()
          .all()
          .some((s) => s.id() === server),
      )
      .map((channel) => channel.address() ?? '');

  it('given the parser, then it is a valid AsyncAPI 3.0 document', () => {
    expect(document.version()).toBe('3.0.0');
  });

  it('given the STOMP destination tables, then the gateway channels are exactly those destinations', () => {
    expect(sorted(addressesOn('gateway'))).toEqual(sorted([...SEND_DESTINATIONS, ...SUBSCRIPTIONS]));
  });

  it('given each STOMP channel, then Parley receives what is SENT to /app/* and sends to the subscriptions', () => {
    const actions = Object.fromEntries(
      document
        .operations()
        .all()
        .map((operation) => [operation.channels().all()[0]?.address() ?? '', operation.action()]),
    );
    for (const destination of SEND_DESTINATIONS)
      expect([destination, actions[destination]]).toEqual([destination, 'receive']);
    for (const destination of SUBSCRIPTIONS)
      expect([destination, actions[destination]]).toEqual([destination, 'send']);
  });

  it('given the topic catalogue, then the Kafka channels are exactly its topics (dead-letter twins included)', () => {
    expect(sorted(addressesOn('kafka'))).toEqual(sorted(TOPIC_CATALOGUE.map((topic) => topic.name)));
  });

  it('given schemas/, then each topic carries exactly its events, each with the fields of its latest version', () => {
    const histories = loadSchemaHistories();
    const topics = new Set(histories.map((history) => history.topic));
    expect(topics.size).toBeGreaterThan(3);
    for (const topic of topics) {
      const channel = document
        .channels()
        .all()
        .find((c) => c.address() === topic);
      const messages = channel?.messages().all() ?? [];
      const events = histories.filter((history) => history.topic === topic);
      expect([topic, sorted(messages.map((m) => m.name() ?? ''))]).toEqual([
        topic,
        sorted(events.map((e) => e.name)),
      ]);
      for (const event of events) {
        const message = messages.find((m) => m.name() === event.name);
        expect(message?.schemaFormat()).toMatch(/^application\/vnd\.apache\.avro/);
        const fields = Object.keys(message?.payload()?.properties() ?? {});
        expect([event.name, sorted(fields)]).toEqual([
          event.name,
          sorted(latestSchema(event).fields.map((f) => f.name)),
        ]);
        expect(Object.keys(message?.headers()?.properties() ?? {})).toContain('event-type');
      }
    }
  });
});
