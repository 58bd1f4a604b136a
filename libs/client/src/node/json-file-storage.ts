import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ClientStorage } from '../storage';

/**
 * Node storage: every value in one JSON file. Each change rewrites the file whole into a temporary
 * file, flushes it and renames it over the old one, so a crash leaves either the old or the new
 * file, never half of one. Writes that come while one is under way are folded into the next, so a
 * burst of changes costs a few writes, and `set` resolves once a write holding its value is on disk.
 */
export class JsonFileStorage implements ClientStorage {
  private data: Map<string, unknown> | undefined;
  private loading: Promise<Map<string, unknown>> | undefined;
  private writing: Promise<void> | undefined;
  private waiting: Promise<void> | undefined;

  constructor(readonly path: string) {}

  private load(): Promise<Map<string, unknown>> {
    this.loading ??= (async () => {
      try {
        const parsed = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, unknown>;
        this.data = new Map(Object.entries(parsed));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        this.data = new Map();
      }
      return this.data;
    })();
    return this.loading;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const value = (await this.load()).get(key);
    return value === undefined ? undefined : (structuredClone(value) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    (await this.load()).set(key, JSON.parse(JSON.stringify(value)) as unknown);
    await this.flush();
  }

  async delete(key: string): Promise<void> {
    if (!(await this.load()).delete(key)) return;
    await this.flush();
  }

  async entries<T>(prefix: string): Promise<Array<[string, T]>> {
    return [...(await this.load()).entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => [key, structuredClone(value) as T]);
  }

  /** One write at a time; changes made during it share the one write after it. */
  private flush(): Promise<void> {
    if (!this.writing) {
      this.writing = this.writeNow().finally(() => (this.writing = undefined));
      return this.writing;
    }
    this.waiting ??= this.writing
      .catch(() => undefined)
      .then(() => {
        this.waiting = undefined;
        return this.flush();
      });
    return this.waiting;
  }

  private async writeNow(): Promise<void> {
    const text = JSON.stringify(Object.fromEntries(this.data ?? new Map()));
    const temporary = `${this.path}.${process.pid}.tmp`;
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.path);
  }
}
