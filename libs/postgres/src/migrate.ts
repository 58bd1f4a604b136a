import { runner } from 'node-pg-migrate';

export interface MigrateOptions {
  readonly databaseUrl: string;
  /** Folder of versioned `.sql` migrations (`-- Up Migration` / `-- Down Migration` sections). */
  readonly dir: string;
  /** Each migration set keeps its own history table, so services can migrate independently. */
  readonly table: string;
  readonly log?: (line: string) => void;
}

/**
 * Applies pending migrations with node-pg-migrate. Another process migrating the same set at the
 * same moment holds node-pg-migrate's lock; we wait for it rather than fail.
 */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await runner({
        databaseUrl: options.databaseUrl,
        dir: options.dir,
        migrationsTable: options.table,
        direction: 'up',
        checkOrder: true,
        singleTransaction: true,
        log: () => undefined,
      });
      const names = applied.map((m) => m.name);
      if (names.length > 0) options.log?.(`applied migrations: ${names.join(', ')}`);
      return names;
    } catch (error) {
      if (attempt < 50 && /Another migration is already running/.test(String((error as Error).message))) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      throw error;
    }
  }
}
