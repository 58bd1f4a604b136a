/**
 * Where the SDK keeps what must survive a reload or a restart: the outbox, the device id, the inbox
 * position, the session. Values are JSON-compatible. Adapters: {@link MemoryStorage} (tests, or
 * nothing kept), `IndexedDbStorage` (browsers), `JsonFileStorage` (Node, from `@parley/client/node`).
 */
export interface ClientStorage {
  get<T>(key: string): Promise<T | undefined>;
  /** Resolves once the value is durable (as durable as the adapter can make it). */
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every entry whose key starts with `prefix`, in ascending key order. */
  entries<T>(prefix: string): Promise<Array<[string, T]>>;
}

/** Keeps everything in memory: lost when the process ends. */
export class MemoryStorage implements ClientStorage {
  private readonly data = new Map<string, string>();

  async get<T>(key: string): Promise<T | undefined> {
    const text = this.data.get(key);
    // Stored as JSON so a caller can never mutate what is kept, as with the durable adapters.
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.data.set(key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async entries<T>(prefix: string): Promise<Array<[string, T]>> {
    return [...this.data.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, text]) => [key, JSON.parse(text) as T]);
  }
}
