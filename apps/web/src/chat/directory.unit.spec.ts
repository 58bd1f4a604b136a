import {
  addOwnedGroup,
  forgetDirectory,
  nameOf,
  readDirectory,
  readOwnedGroups,
  remember,
  writeDirectory,
} from './directory';

const memory = () => {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
    size: () => data.size,
  };
};

describe('the directory of known users', () => {
  it('given a looked-up user, then they are called by display name, else @username, else a short id', () => {
    const store = memory();
    let directory = readDirectory(store);
    directory = remember(directory, { userId: 'u1', username: 'ada', displayName: 'Ada' });
    directory = remember(directory, { userId: 'u2', username: 'bob' });
    writeDirectory(store, directory);
    const again = readDirectory(store);
    expect([nameOf(again, 'u1'), nameOf(again, 'u2'), nameOf(again, '12345678-aaaa')]).toEqual([
      'Ada',
      '@bob',
      'User 12345678',
    ]);
    expect(remember(again, { userId: 'u2', username: 'bob' })).toBe(again);
  });

  it('given damaged storage, then it is empty', () => {
    const store = memory();
    store.setItem('parley.users', '{not json');
    store.setItem('parley.owned-groups', '"x"');
    expect(readDirectory(store)).toEqual({});
    expect(readOwnedGroups(store)).toEqual([]);
  });

  it('remembers the groups this browser created, once each', () => {
    const store = memory();
    addOwnedGroup(store, 'g1');
    addOwnedGroup(store, 'g1');
    expect(readOwnedGroups(store)).toEqual(['g1']);
  });

  it('given a sign-out, then nothing is left', () => {
    const store = memory();
    writeDirectory(store, remember({}, { userId: 'u1', username: 'ada' }));
    addOwnedGroup(store, 'g1');
    forgetDirectory(store);
    expect(store.size()).toBe(0);
  });
});
