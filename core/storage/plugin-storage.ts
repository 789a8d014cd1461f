import { readdir, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collection, PluginStorage } from '@openred/plugin-sdk';
import { ValidationError } from '../errors.js';
import { CoalescingDb } from './coalescing-db.js';
import { DurableJsonFile } from './durable-json-file.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The kernel's implementation of `ctx.storage`: `<dataDir>/plugins/<plugin>/<collection>.json`. Open
 * collections are shared across a plugin's generations, so a hot reload keeps the data in memory and
 * pending writes are never lost between versions.
 */
export class PluginStorageRoot {
  readonly #root: string;
  readonly #open = new Map<string, Promise<CoalescingDb<object>>>();

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'plugins');
  }

  forPlugin(plugin: string): PluginStorage {
    const dir = join(this.#root, plugin);
    const filesDir = join(dir, 'files');
    return {
      dir: filesDir,
      collection: async <T extends object>(name: string, defaults: T): Promise<Collection<T>> => {
        checkName(name);
        const key = `${plugin}/${name}`;
        let db = this.#open.get(key);
        if (!db) {
          db = (async () => {
            await mkdir(filesDir, { recursive: true, mode: 0o700 });
            const c = new CoalescingDb<object>(
              new DurableJsonFile<object>(join(dir, `${name}.json`)),
              defaults,
            );
            await c.load();
            return c;
          })();
          this.#open.set(key, db);
          db.catch(() => this.#open.delete(key));
        }
        const opened = (await db) as unknown as CoalescingDb<T>;
        return {
          get data() {
            return opened.data;
          },
          commit: () => opened.commit(),
          replace: async (next: T) => {
            opened.low.data = next;
            await opened.commit();
          },
        };
      },
      list: async () => {
        try {
          return (await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
        } catch {
          return [];
        }
      },
      drop: async (name: string) => {
        checkName(name);
        const key = `${plugin}/${name}`;
        const db = this.#open.get(key);
        if (db) await (await db).flush();
        this.#open.delete(key);
        await rm(join(dir, `${name}.json`), { force: true });
      },
    };
  }

  /** Waits until every pending write of every plugin is on disk (shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#open.values()].map(async (db) => (await db).flush()));
  }
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new ValidationError(
      `invalid collection name ${JSON.stringify(name)}`,
      undefined,
      'OR_ERR_STORAGE_NAME',
    );
  }
}
