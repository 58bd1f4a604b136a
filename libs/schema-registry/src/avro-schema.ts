import { createHash } from 'node:crypto';
import avro from 'avsc';
import { ERROR_CODES, RegistryError } from './registry-error';

export interface ParsedSchema {
  /** The schema as stored and returned: compact JSON, so whitespace never makes a new id. */
  readonly canonical: string;
  readonly fingerprint: string;
  readonly type: avro.Type;
}

/** Validates an Avro schema given as a string (as Confluent clients send it); 42201 when invalid. */
export function parseAvroSchema(text: unknown, schemaType: unknown = 'AVRO'): ParsedSchema {
  if (schemaType !== undefined && schemaType !== null && schemaType !== 'AVRO') {
    throw new RegistryError(
      ERROR_CODES.invalidSchema,
      `Schema type ${JSON.stringify(schemaType)} is not supported; only AVRO.`,
    );
  }
  if (typeof text !== 'string' || text.trim() === '') {
    throw new RegistryError(
      ERROR_CODES.invalidSchema,
      'Invalid schema: "schema" must be a non-empty string.',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RegistryError(
      ERROR_CODES.invalidSchema,
      `Invalid schema: not JSON (${(error as Error).message}).`,
    );
  }
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(json as avro.Schema);
  } catch (error) {
    throw new RegistryError(ERROR_CODES.invalidSchema, `Invalid schema: ${(error as Error).message}`);
  }
  const canonical = JSON.stringify(json);
  return { canonical, fingerprint: createHash('sha256').update(canonical).digest('hex'), type };
}
