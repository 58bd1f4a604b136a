import { DecodeError } from './decode-error';

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro body. */
export const WIRE_HEADER_BYTES = 5;

export function readSchemaId(buffer: Buffer): number {
  if (buffer.length < WIRE_HEADER_BYTES) {
    throw new DecodeError(`record of ${buffer.length} bytes is too short for the Confluent wire format`);
  }
  if (buffer[0] !== 0) {
    throw new DecodeError(`record starts with byte ${buffer[0]}, not the Confluent magic byte 0`);
  }
  return buffer.readInt32BE(1);
}
