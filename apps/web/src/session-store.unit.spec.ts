import { SESSION_KEY, clearSession, readSession, writeSession, type Session } from './session-store';

/** localStorage's three calls over a Map. */
const memoryStore = () => {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
};

const NOW = Date.parse('2026-01-31T11:00:00.000Z');
const session: Session = {
  userId: '2b1c4e6a-3f4d-4c5e-8a9b-0c1d2e3f4a5b',
  username: 'ada',
  token: 'eyJ.a.b',
  expiresAt: '2026-02-01T11:00:00.000Z',
  displayName: 'Ada',
};

describe('the kept session', () => {
  it('given a written session, when read before its token expires, then it comes back as written', () => {
    const store = memoryStore();
    writeSession(store, session);
    expect(readSession(store, NOW)).toEqual(session);
  });

  it('given an expired token, then there is no session', () => {
    const store = memoryStore();
    writeSession(store, session);
    expect(readSession(store, Date.parse(session.expiresAt))).toBeNull();
  });

  it.each([
    ['nothing kept', undefined],
    ['not JSON', '{"userId":'],
    ['not an object', '"ada"'],
    ['a field missing', JSON.stringify({ ...session, token: undefined })],
    ['an empty token', JSON.stringify({ ...session, token: '' })],
    ['an expiry that is no time', JSON.stringify({ ...session, expiresAt: 'tomorrow' })],
  ])('given %s, then there is no session', (_what, kept) => {
    const store = memoryStore();
    if (kept !== undefined) store.items.set(SESSION_KEY, kept);
    expect(readSession(store, NOW)).toBeNull();
  });

  it('given a session without a display name, then it reads back without one', () => {
    const store = memoryStore();
    const { displayName: _, ...withoutName } = session;
    writeSession(store, withoutName);
    expect(readSession(store, NOW)).toEqual(withoutName);
  });

  it('given a cleared session, then there is none', () => {
    const store = memoryStore();
    writeSession(store, session);
    clearSession(store);
    expect(readSession(store, NOW)).toBeNull();
  });
});
