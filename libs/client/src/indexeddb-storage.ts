import type { ClientStorage } from './storage';

// The few IndexedDB shapes used here, declared structurally: the workspace compiles without the DOM
// library, and an app may hand in any IndexedDB (a browser's, or a test double) this way.
interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: ((event: unknown) => void) | null;
  onblocked: ((event: unknown) => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
  getAll(range: unknown): IdbRequest<unknown[]>;
  getAllKeys(range: unknown): IdbRequest<unknown[]>;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  error: unknown;
  oncomplete: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onabort: ((event: unknown) => void) | null;
}
interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
}
/** The part of `IDBFactory` the adapter uses. */
export interface IdbFactoryLike {
  open(name: string, version?: number): IdbOpenRequest;
}
/** The part of `IDBKeyRange` the adapter uses. */
export interface IdbKeyRangeLike {
  bound(lower: string, upper: string): unknown;
}

const STORE = 'kv';

function requestDone<T>(request: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(toError(request.error));
  });
}

function transactionDone(tx: IdbTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(toError(tx.error));
    tx.onabort = () => reject(toError(tx.error ?? new Error('IndexedDB transaction aborted')));
  });
}

function toError(cause: unknown): Error {
  return cause instanceof Error ? cause : new Error(`IndexedDB: ${String(cause)}`);
}

/**
 * Browser storage: one IndexedDB database with one object store of JSON values by key. A write
 * resolves once its transaction committed. Pass `indexedDB` and `IDBKeyRange` explicitly where the
 * globals are not the ones to use (a worker, a test).
 */
export class IndexedDbStorage implements ClientStorage {
  private db: Promise<IdbDatabase> | undefined;

  constructor(
    private readonly options: {
      /** The database's name: one per Parley installation the app talks to (default `parley-client`). */
      readonly databaseName?: string;
      readonly indexedDB?: IdbFactoryLike;
      readonly keyRange?: IdbKeyRangeLike;
    } = {},
  ) {}

  private factory(): { idb: IdbFactoryLike; range: IdbKeyRangeLike } {
    const scope = globalThis as { indexedDB?: IdbFactoryLike; IDBKeyRange?: IdbKeyRangeLike };
    const idb = this.options.indexedDB ?? scope.indexedDB;
    const range = this.options.keyRange ?? scope.IDBKeyRange;
    if (!idb || !range) throw new Error('IndexedDbStorage: this environment has no IndexedDB');
    return { idb, range };
  }

  private open(): Promise<IdbDatabase> {
    this.db ??= new Promise<IdbDatabase>((resolve, reject) => {
      const request = this.factory().idb.open(this.options.databaseName ?? 'parley-client', 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(toError(request.error));
      request.onblocked = () => reject(new Error('IndexedDB: the database is blocked by another tab'));
    });
    return this.db;
  }

  private async run<T>(
    mode: 'readonly' | 'readwrite',
    work: (store: IdbObjectStore) => IdbRequest<T>,
  ): Promise<T> {
    const db = await this.open();
    const tx = db.transaction(STORE, mode);
    const result = requestDone(work(tx.objectStore(STORE)));
    await transactionDone(tx);
    return result;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const value = await this.run('readonly', (store) => store.get(key));
    return value === undefined ? undefined : (value as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    // Stored as a structured clone of plain JSON, so what comes back is what any adapter returns.
    await this.run('readwrite', (store) => store.put(JSON.parse(JSON.stringify(value)), key));
  }

  async delete(key: string): Promise<void> {
    await this.run('readwrite', (store) => store.delete(key));
  }

  async entries<T>(prefix: string): Promise<Array<[string, T]>> {
    const db = await this.open();
    const range = this.factory().range.bound(prefix, `${prefix}\uffff`);
    const tx = db.transaction(STORE, 'readonly');
    const store = tx.objectStore(STORE);
    const [keys, values] = await Promise.all([
      requestDone(store.getAllKeys(range)),
      requestDone(store.getAll(range)),
      transactionDone(tx),
    ]);
    return keys.map((key, i) => [String(key), values[i] as T]);
  }

  /** Closes the database (a later call opens it again). */
  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) (await db).close();
  }
}
