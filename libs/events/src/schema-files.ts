import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's `schemas/` folder: `<topic>/<EventName>.v<N>.avsc`, one file per released version. */
export const SCHEMAS_DIR = resolve(__dirname, '../../../schemas');

export interface AvroField {
  readonly name: string;
  readonly type: unknown;
  readonly doc?: string;
  readonly default?: unknown;
}

export interface AvroRecordSchema {
  readonly type: 'record';
  readonly name: string;
  readonly namespace: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

export interface EventSchemaHistory {
  readonly topic: string;
  /** Short name, e.g. `MessageSent`: the `type` discriminator in TypeScript. */
  readonly name: string;
  /** Avro full name, e.g. `io.parley.events.messages.MessageSent`. */
  readonly fullName: string;
  /** Every released version, oldest first; the last one is what producers write. */
  readonly versions: readonly AvroRecordSchema[];
}

const FILE_PATTERN = /^([A-Za-z][A-Za-z0-9]*)\.v(\d+)\.avsc$/;

/** Reads every schema file. Throws on files that break the layout, so a mistake fails loudly. */
export function loadSchemaHistories(dir: string = SCHEMAS_DIR): EventSchemaHistory[] {
  const histories: EventSchemaHistory[] = [];
  for (const topic of readdirSync(dir).sort()) {
    const byName = new Map<string, Map<number, AvroRecordSchema>>();
    for (const file of readdirSync(join(dir, topic)).sort()) {
      const match = FILE_PATTERN.exec(file);
      if (!match) throw new Error(`schemas/${topic}/${file}: expected <EventName>.v<N>.avsc`);
      const [, name, version] = match as unknown as [string, string, string];
      const schema = JSON.parse(readFileSync(join(dir, topic, file), 'utf8')) as AvroRecordSchema;
      if (schema.name !== name) throw new Error(`schemas/${topic}/${file}: record name is "${schema.name}"`);
      const versions = byName.get(name) ?? new Map<number, AvroRecordSchema>();
      versions.set(Number(version), schema);
      byName.set(name, versions);
    }
    for (const [name, versions] of byName) {
      const numbers = [...versions.keys()].sort((a, b) => a - b);
      numbers.forEach((n, i) => {
        if (n !== i + 1)
          throw new Error(`schemas/${topic}/${name}: versions must run 1..N, found ${numbers.join(',')}`);
      });
      const ordered = numbers.map((n) => versions.get(n) as AvroRecordSchema);
      const latest = ordered[ordered.length - 1] as AvroRecordSchema;
      histories.push({ topic, name, fullName: `${latest.namespace}.${name}`, versions: ordered });
    }
  }
  return histories;
}

export function latestSchema(history: EventSchemaHistory): AvroRecordSchema {
  return history.versions[history.versions.length - 1] as AvroRecordSchema;
}
