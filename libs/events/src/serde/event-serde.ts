import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { EventType, ParleyEvent } from '../generated/event-types';
import { latestSchema, loadSchemaHistories, type EventSchemaHistory } from '../schema-files';
import { DecodeError } from './decode-error';
import { subjectFor } from './subject';
import { WIRE_HEADER_BYTES, readSchemaId } from './wire-format';

interface ReaderType {
  readonly name: EventType;
  readonly type: avro.Type;
}

interface Decoder {
  readonly reader: ReaderType;
  /** Present when the record was written with another version of the schema than the one we read. */
  readonly resolver: avro.Resolver | undefined;
}

/**
 * Encodes and decodes Parley's events in the Confluent wire format through a Confluent-compatible
 * schema registry. Records written with an older version of a schema are read into the current shape.
 */
export class EventSerde {
  private readonly registry: SchemaRegistry;
  private readonly histories: readonly EventSchemaHistory[];
  private readonly readers = new Map<string, ReaderType>();
  private readonly writerIds = new Map<EventType, number>();
  private readonly decoders = new Map<number, Promise<Decoder>>();

  constructor(registryUrl: string, histories: readonly EventSchemaHistory[] = loadSchemaHistories()) {
    this.registry = new SchemaRegistry({ host: registryUrl });
    this.histories = histories;
    for (const history of histories) {
      this.readers.set(history.fullName, {
        name: history.name as EventType,
        type: avro.Type.forSchema(latestSchema(history) as avro.Schema),
      });
    }
  }

  /**
   * Registers every version of every schema, oldest first (idempotent: a registered schema keeps its id),
   * and remembers the latest id of each event type for encoding. Call once at start-up.
   */
  async registerAll(): Promise<ReadonlyMap<EventType, number>> {
    for (const history of this.histories) {
      let id = 0;
      for (const version of history.versions) {
        ({ id } = await this.registry.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(version) },
          { subject: subjectFor(history.topic, history.fullName) },
        ));
      }
      this.writerIds.set(history.name as EventType, id);
    }
    return this.writerIds;
  }

  async encode(event: ParleyEvent): Promise<Buffer> {
    const id = this.writerIds.get(event.type);
    if (id === undefined) throw new Error(`no schema id for ${event.type}: call registerAll() at start-up`);
    const { type: _type, ...payload } = event;
    return this.registry.encode(id, payload);
  }

  async decode(buffer: Buffer): Promise<ParleyEvent> {
    const schemaId = readSchemaId(buffer);
    const { reader, resolver } = await this.decoderFor(schemaId);
    let body: Record<string, unknown>;
    try {
      body = reader.type.fromBuffer(buffer.subarray(WIRE_HEADER_BYTES), resolver) as Record<string, unknown>;
    } catch (error) {
      throw new DecodeError(`record with schema id ${schemaId} does not decode as ${reader.name}`, {
        cause: error,
      });
    }
    return { ...body, type: reader.name } as ParleyEvent;
  }

  private decoderFor(schemaId: number): Promise<Decoder> {
    let decoder = this.decoders.get(schemaId);
    if (!decoder) {
      decoder = this.loadDecoder(schemaId);
      this.decoders.set(schemaId, decoder);
      // A failed lookup (registry down) must be retried by the next record, not cached.
      decoder.catch(() => this.decoders.delete(schemaId));
    }
    return decoder;
  }

  private async loadDecoder(schemaId: number): Promise<Decoder> {
    let writer: avro.Type;
    try {
      writer = (await this.registry.getSchema(schemaId)) as avro.Type;
    } catch (error) {
      if (isNotFound(error))
        throw new DecodeError(`schema id ${schemaId} is unknown to the registry`, { cause: error });
      throw error;
    }
    const reader = writer.name ? this.readers.get(writer.name) : undefined;
    if (!reader)
      throw new DecodeError(`schema id ${schemaId} (${writer.name ?? 'unnamed'}) is not a Parley event`);
    if (reader.type.equals(writer)) return { reader, resolver: undefined };
    try {
      return { reader, resolver: reader.type.createResolver(writer) };
    } catch (error) {
      throw new DecodeError(`schema id ${schemaId} cannot be read as the current ${reader.name}`, {
        cause: error,
      });
    }
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'status' in error && error.status === 404;
}
