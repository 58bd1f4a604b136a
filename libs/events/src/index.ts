export * from './generated/event-types';
export { EventSerde } from './serde/event-serde';
export { DecodeError } from './serde/decode-error';
export { subjectFor } from './serde/subject';
export { readSchemaId } from './serde/wire-format';
export {
  loadSchemaHistories,
  latestSchema,
  SCHEMAS_DIR,
  type AvroRecordSchema,
  type AvroField,
  type EventSchemaHistory,
} from './schema-files';
export { generateEventTypes } from './codegen/generate-event-types';
