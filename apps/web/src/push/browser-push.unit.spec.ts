import { createECDH } from 'node:crypto';
import { keyBytes } from './browser-push';

describe('the VAPID key as applicationServerKey (pure)', () => {
  it('given the base64url key the gateway serves, then its 65 bytes, 0x04 first', () => {
    const ecdh = createECDH('prime256v1');
    const publicKey = ecdh.generateKeys().toString('base64url');
    const bytes = keyBytes(publicKey);
    expect(bytes).toHaveLength(65);
    expect(bytes[0]).toBe(4);
    expect(Buffer.from(bytes).toString('base64url')).toBe(publicKey);
  });
});
