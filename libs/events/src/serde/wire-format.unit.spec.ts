import { DecodeError, readSchemaId } from '@parley/events';

describe('readSchemaId', () => {
  it('reads the big-endian id after the magic byte', () => {
    expect(readSchemaId(Buffer.from([0, 0, 0, 1, 2, 9]))).toBe(258);
  });

  it('refuses a wrong magic byte or a short record as undecodable', () => {
    expect(() => readSchemaId(Buffer.from('{"json":true}'))).toThrow(DecodeError);
    expect(() => readSchemaId(Buffer.from([0, 0]))).toThrow(/too short/);
  });
});
