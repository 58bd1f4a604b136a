import avro from 'avsc';
import {
  compatibilityProblems,
  parseCompatibilityLevel,
  parseAvroSchema,
  RegistryError,
} from '@parley/schema-registry';

const record = (fields: object[]) =>
  avro.Type.forSchema({ type: 'record', name: 'E', namespace: 'n', fields } as avro.Schema);
const v1 = record([{ name: 'a', type: 'string' }]);
const addedWithDefault = record([
  { name: 'a', type: 'string' },
  { name: 'b', type: 'int', default: 0 },
]);
const addedWithoutDefault = record([
  { name: 'a', type: 'string' },
  { name: 'b', type: 'int' },
]);
const removedA = record([{ name: 'b', type: 'int', default: 0 }]);

describe('compatibilityProblems', () => {
  it('BACKWARD allows a new field with a default and refuses one without', () => {
    expect(compatibilityProblems('BACKWARD', addedWithDefault, [v1])).toEqual([]);
    expect(compatibilityProblems('BACKWARD', addedWithoutDefault, [v1])).toHaveLength(1);
  });

  it('FORWARD asks the old schema to read new data', () => {
    // Old readers ignore an added field, so adding one without a default is forward compatible.
    expect(compatibilityProblems('FORWARD', addedWithoutDefault, [v1])).toEqual([]);
    // Old readers need `a`, which the new schema no longer writes.
    expect(compatibilityProblems('FORWARD', removedA, [v1])).toHaveLength(1);
  });

  it('FULL needs both directions', () => {
    expect(compatibilityProblems('FULL', addedWithDefault, [v1])).toEqual([]);
    expect(compatibilityProblems('FULL', addedWithoutDefault, [v1]).length).toBeGreaterThan(0);
  });

  it('checks only the latest version unless transitive', () => {
    // v3 no longer writes `a`. Under FORWARD the old schemas must read v3's data: v2 can (its `a`
    // has a default), v1 cannot (its `a` has none). Only the transitive level looks back to v1.
    const v2 = record([{ name: 'a', type: 'string', default: '' }]);
    const v3 = record([{ name: 'c', type: 'int', default: 0 }]);
    expect(compatibilityProblems('FORWARD', v3, [v1, v2])).toEqual([]);
    expect(compatibilityProblems('FORWARD_TRANSITIVE', v3, [v1, v2])).toHaveLength(1);
  });

  it('NONE accepts anything, and the first version is always compatible', () => {
    expect(compatibilityProblems('NONE', addedWithoutDefault, [v1])).toEqual([]);
    expect(compatibilityProblems('FULL_TRANSITIVE', addedWithoutDefault, [])).toEqual([]);
  });
});

describe('input parsing', () => {
  it('accepts levels in any case and refuses unknown ones with 42203', () => {
    expect(parseCompatibilityLevel('full_transitive')).toBe('FULL_TRANSITIVE');
    expect(() => parseCompatibilityLevel('SIDEWAYS')).toThrow(expect.objectContaining({ errorCode: 42203 }));
  });

  it('refuses invalid schemas with 42201 and canonicalises whitespace', () => {
    expect(() => parseAvroSchema('{"type": "record"}')).toThrow(RegistryError);
    expect(() => parseAvroSchema('not json')).toThrow(expect.objectContaining({ errorCode: 42201 }));
    expect(() => parseAvroSchema('"string"', 'PROTOBUF')).toThrow(
      expect.objectContaining({ errorCode: 42201 }),
    );
    expect(parseAvroSchema('{ "type" : "string" }').fingerprint).toBe(
      parseAvroSchema('{"type":"string"}').fingerprint,
    );
  });
});
