import { latestSchema, type EventSchemaHistory } from '../schema-files';

/**
 * Turns the latest version of every event schema into TypeScript types, so the types cannot drift
 * from the schemas: `npm run schemas:types` writes them, and a unit test fails when the committed
 * file differs from what this function makes.
 */
export function generateEventTypes(histories: readonly EventSchemaHistory[]): string {
  const namedTypes = new Set<string>();
  const out: string[] = ['// Generated from schemas/ by `npm run schemas:types`. Do not edit by hand.', ''];
  const byTopic = new Map<string, string[]>();

  const tsType = (type: unknown): string => {
    if (typeof type === 'string') return primitiveOrNamed(type, namedTypes);
    if (Array.isArray(type)) return type.map(tsType).join(' | ');
    const t = type as {
      type: string;
      name?: string;
      symbols?: string[];
      items?: unknown;
      values?: unknown;
      doc?: string;
    };
    switch (t.type) {
      case 'enum': {
        const name = t.name as string;
        if (!namedTypes.has(name)) {
          namedTypes.add(name);
          if (t.doc) out.push(`/** ${t.doc} */`);
          out.push(`export type ${name} = ${(t.symbols ?? []).map((s) => `'${s}'`).join(' | ')};`, '');
        }
        return name;
      }
      case 'array':
        return `Array<${tsType(t.items)}>`;
      case 'map':
        return `Record<string, ${tsType(t.values)}>`;
      case 'record':
        throw new Error(`nested record "${t.name}" is not supported; flatten it or extend the generator`);
      default:
        // A primitive with a logical type, e.g. {"type": "long", "logicalType": "timestamp-millis"}.
        return tsType(t.type);
    }
  };

  for (const history of histories) {
    const schema = latestSchema(history);
    const fields = schema.fields.map((field) => {
      const doc = field.doc ? `  /** ${field.doc} */\n` : '';
      return `${doc}  readonly ${field.name}: ${tsType(field.type)};`;
    });
    out.push(
      `/** ${schema.doc ?? history.name} (${history.topic}, schema v${history.versions.length}) */`,
      `export interface ${history.name} {`,
      `  readonly type: '${history.name}';`,
      ...fields,
      '}',
      '',
    );
    byTopic.set(history.topic, [...(byTopic.get(history.topic) ?? []), history.name]);
  }

  out.push(`export type ParleyEvent = ${histories.map((h) => h.name).join(' | ')};`, '');
  out.push(`export type EventType = ParleyEvent['type'];`, '');
  for (const [topic, names] of byTopic) {
    out.push(`/** Events on ${topic}. */`, `export type ${topicTypeName(topic)} = ${names.join(' | ')};`, '');
  }
  out.push('/** The topic each event type is written to. */', 'export const EVENT_TOPIC = {');
  for (const history of histories) out.push(`  ${history.name}: '${history.topic}',`);
  out.push('} as const satisfies Record<EventType, string>;', '');
  return out.join('\n');
}

function primitiveOrNamed(type: string, namedTypes: ReadonlySet<string>): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'int':
    case 'long':
    case 'float':
    case 'double':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'bytes':
      return 'Buffer';
    default:
      if (namedTypes.has(type)) return type;
      throw new Error(`unknown Avro type "${type}"`);
  }
}

/** `chat.messages` → `ChatMessagesEvent`. */
export function topicTypeName(topic: string): string {
  return (
    topic
      .split(/[.\-_]/)
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('') + 'Event'
  );
}
