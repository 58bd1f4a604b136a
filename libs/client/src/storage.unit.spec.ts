import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { IndexedDbStorage } from './indexeddb-storage';
import { JsonFileStorage } from './node/json-file-storage';
import { MemoryStorage, type ClientStorage } from './storage';

/** What every adapter must do alike. */
function behavesAsStorage(name: string, make: () => { storage: ClientStorage; reopen: () => ClientStorage }) {
  describe(`${name}: the storage contract`, () => {
    it('given values set, then they come back, by prefix in key order, and deleted ones are gone', async () => {
      const { storage } = make();
      await storage.set('outbox/0002', { text: 'b' });
      await storage.set('outbox/0001', { text: 'a' });
      await storage.set('device-id', 'd1');
      await storage.delete('outbox/0002');
      expect(await storage.get('device-id')).toBe('d1');
      expect(await storage.get('missing')).toBeUndefined();
      expect(await storage.entries('outbox/')).toEqual([['outbox/0001', { text: 'a' }]]);
    });

    it('given a value read and changed by the caller, then what is stored does not change', async () => {
      const { storage } = make();
      await storage.set('k', { list: [1] });
      const read = await storage.get<{ list: number[] }>('k');
      read!.list.push(2);
      expect(await storage.get('k')).toEqual({ list: [1] });
    });

    it('given values set, then a new instance over the same place reads them (a restart)', async () => {
      const { storage, reopen } = make();
      await storage.set('session', { token: 't' });
      expect(await reopen().get('session')).toEqual({ token: 't' });
    });
  });
}

let memory: MemoryStorage;
behavesAsStorage('MemoryStorage', () => {
  memory = new MemoryStorage();
  return { storage: memory, reopen: () => memory };
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-client-'));
  dirs.push(dir);
  return join(dir, 'nested', 'state.json');
};

behavesAsStorage('JsonFileStorage', () => {
  const path = tempFile();
  return { storage: new JsonFileStorage(path), reopen: () => new JsonFileStorage(path) };
});

behavesAsStorage('IndexedDbStorage', () => {
  const idb = new IDBFactory();
  const open = () => new IndexedDbStorage({ indexedDB: idb, keyRange: IDBKeyRange });
  return { storage: open(), reopen: open };
});

describe('JsonFileStorage', () => {
  it('given many sets at once, then each resolves with its value on disk and no temp file is left', async () => {
    const path = tempFile();
    const storage = new JsonFileStorage(path);
    await Promise.all(Array.from({ length: 100 }, (_, i) => storage.set(`k${i}`, i)));
    const onDisk = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
    expect(Object.keys(onDisk)).toHaveLength(100);
    expect(readdirSync(join(path, '..'))).toEqual(['state.json']);
  });

  it('given a file written by someone else that is not JSON, then loading fails loudly instead of starting empty', async () => {
    const path = tempFile();
    await new JsonFileStorage(path).set('a', 1);
    writeFileSync(path, '{"a": 1');
    await expect(new JsonFileStorage(path).get('a')).rejects.toThrow(SyntaxError);
  });
});
