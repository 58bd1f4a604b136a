import { createECDH, randomBytes } from 'node:crypto';
import { generateRequestDetails } from 'web-push';
import { checkVapid, decryptAes128gcm } from '@parley/testing';

/** A VAPID key pair in web-push's encoding (the testing lib imports no Parley service lib). */
function generateVapidKeyPair() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    publicKey: ecdh.getPublicKey().toString('base64url'),
    privateKey: ecdh.getPrivateKey().toString('base64url'),
  };
}

/** A request as web-push builds it for a browser's keys (the sender the notifier uses). */
function pushRequest(payload: string, audience = 'https://push.example.com') {
  const vapid = generateVapidKeyPair();
  const browser = createECDH('prime256v1');
  browser.generateKeys();
  const auth = randomBytes(16);
  const details = generateRequestDetails(
    {
      endpoint: `${audience}/push/1`,
      keys: { p256dh: browser.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    },
    payload,
    { vapidDetails: { subject: 'mailto:t@parley.invalid', ...vapid }, contentEncoding: 'aes128gcm', TTL: 60 },
  );
  return { details, browser, auth, vapid };
}

describe('the test push service checks what it receives (so the push specs can fail)', () => {
  it('given a web-push request, then the body decrypts with the browser keys and the VAPID JWT verifies', () => {
    const { details, browser, auth, vapid } = pushRequest('{"hello":"Bob"}');
    expect(decryptAes128gcm(details.body, browser, auth).toString()).toBe('{"hello":"Bob"}');
    const claims = checkVapid(
      details.headers.Authorization,
      'https://push.example.com',
      vapid.publicKey,
      Date.now(),
    );
    expect(claims).toMatchObject({ aud: 'https://push.example.com', sub: 'mailto:t@parley.invalid' });
  });

  it('given a changed byte of the ciphertext, another browser key or another auth secret, then decryption fails', () => {
    const { details, browser, auth } = pushRequest('secret');
    const body = Buffer.from(details.body);
    body[body.length - 20] = (body[body.length - 20] ?? 0) ^ 1;
    expect(() => decryptAes128gcm(body, browser, auth)).toThrow();
    const other = createECDH('prime256v1');
    other.generateKeys();
    expect(() => decryptAes128gcm(details.body, other, auth)).toThrow();
    expect(() => decryptAes128gcm(details.body, browser, randomBytes(16))).toThrow();
  });

  it('given another audience, another expected key, a forged signature or an expired JWT, then the VAPID check refuses', () => {
    const { details, vapid } = pushRequest('x');
    const header = details.headers.Authorization as string;
    expect(() => checkVapid(header, 'https://other.example.com', vapid.publicKey, Date.now())).toThrow(/aud/);
    expect(() =>
      checkVapid(header, 'https://push.example.com', generateVapidKeyPair().publicKey, Date.now()),
    ).toThrow(/installation/);
    const forged = header.replace(/t=([^.]+)\.([^.]+)\./, (_m, h: string, b: string) => {
      const claims = JSON.parse(Buffer.from(b, 'base64url').toString()) as Record<string, unknown>;
      return `t=${h}.${Buffer.from(JSON.stringify({ ...claims, aud: 'https://evil.example' })).toString('base64url')}.`;
    });
    expect(() => checkVapid(forged, 'https://evil.example', vapid.publicKey, Date.now())).toThrow(
      /signature/,
    );
    expect(() =>
      checkVapid(header, 'https://push.example.com', vapid.publicKey, Date.now() + 25 * 3600 * 1000),
    ).toThrow(/expired/);
    expect(() => checkVapid(undefined, 'https://push.example.com', vapid.publicKey, Date.now())).toThrow(
      /no VAPID/,
    );
  });
});
