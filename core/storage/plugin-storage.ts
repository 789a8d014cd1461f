import { readdir, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collection, PluginStorage } from '@openred/plugin-sdk';
import { OpenRedError, ValidationError } from '../errors.js';
import { CoalescingDb } from './coalescing-db.js';
import { DurableJsonFile } from './durable-json-file.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** One open collection: its database and how many handles hold it. */
interface OpenCollection {
  db: Promise<CoalescingDb<object>>;
  holders: number;
}

/**
 * The kernel's implementation of `ctx.storage`: `<dataDir>/plugins/<plugin>/<collection>.json`. Each
 * `collection()` call returns a handle and counts one holder; an open collection is shared by all its holders
 * (also across a plugin's generations, so a hot reload keeps the data in memory and pending writes are never
 * lost between versions). When the last holder closes it, its writes are flushed and it is forgotten, so a
 * plugin can bound its memory by closing shards it no longer uses.
 */
export class PluginStorageRoot {
  readonly #root: string;
  readonly #open = new Map<string, OpenCollection>();

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'plugins');
  }

  /** How many collections are in memory (all plugins). */
  get openCount(): number {
    return this.#open.size;
  }

  forPlugin(plugin: string): PluginStorage {
    const dir = join(this.#root, plugin);
    const filesDir = join(dir, 'files');
    return {
      dir: filesDir,
      collection: async <T extends object>(name: string, defaults: T): Promise<Collection<T>> => {
        checkName(name);
        const key = `${plugin}/${name}`;
        let entry = this.#open.get(key);
        if (!entry) {
          const db = (async () => {
            await mkdir(filesDir, { recursive: true, mode: 0o700 });
            const c = new CoalescingDb<object>(
              new DurableJsonFile<object>(join(dir, `${name}.json`)),
              defaults,
            );
            await c.load();
            return c;
          })();
          const opened: OpenCollection = { db, holders: 0 };
          entry = opened;
          this.#open.set(key, opened);
          db.catch(() => {
            if (this.#open.get(key) === opened) this.#open.delete(key);
          });
        }
        entry.holders++;
        let db: CoalescingDb<T>;
        try {
          db = (await entry.db) as unknown as CoalescingDb<T>;
        } catch (err) {
          entry.holders--;
          throw err;
        }
        return this.#handle(key, entry, db);
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
        const entry = this.#open.get(key);
        if (entry) await (await entry.db).flush();
        this.#open.delete(key);
        await rm(join(dir, `${name}.json`), { force: true });
      },
    };
  }

  #handle<T>(key: string, entry: OpenCollection, db: CoalescingDb<T>): Collection<T> {
    let closed = false;
    const live = (): CoalescingDb<T> => {
      if (closed)
        throw new OpenRedError('OR_ERR_STORAGE_CLOSED', `collection ${key} was closed by this holder`);
      return db;
    };
    return {
      get data() {
        return live().data;
      },
      commit: async () => live().commit(),
      replace: async (next: T) => {
        const d = live();
        d.low.data = next;
        await d.commit();
      },
      close: async () => {
        if (closed) return;
        closed = true;
        entry.holders--;
        // Flushed before it is forgotten, so a reopen reads what every holder committed.
        await db.flush();
        if (entry.holders === 0 && this.#open.get(key) === entry) this.#open.delete(key);
      },
    };
  }

  /** Waits until every pending write of every plugin is on disk (shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#open.values()].map(async (e) => (await e.db).flush()));
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
