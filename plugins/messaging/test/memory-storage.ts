import type { Collection, PluginStorage } from '@openred/plugin-sdk';

/**
 * A PluginStorage in memory for unit tests. `failCommits` makes commits reject (a full or broken disk);
 * `writes` counts commits per collection; `persisted` holds what the last successful commit of each
 * collection wrote (what a restart would read back). Like the real storage, a collection whose every holder
 * closed it is forgotten and read back from `persisted` when opened again; `openNames()` is what is in memory.
 */
export class MemoryStorage implements PluginStorage {
  readonly dir = '/nonexistent';
  failCommits = false;
  readonly writes = new Map<string, number>();
  readonly persisted = new Map<string, string>();
  readonly #live = new Map<string, object>();
  readonly #holders = new Map<string, number>();

  async collection<T extends object>(name: string, defaults: T): Promise<Collection<T>> {
    if (!this.#live.has(name)) {
      const saved = this.persisted.get(name);
      this.#live.set(name, saved ? (JSON.parse(saved) as object) : structuredClone(defaults));
    }
    this.#holders.set(name, (this.#holders.get(name) ?? 0) + 1);
    const live = this.#live;
    let closed = false;
    const check = () => {
      if (closed) throw Object.assign(new Error(`${name} is closed`), { code: 'OR_ERR_STORAGE_CLOSED' });
    };
    return {
      get data() {
        check();
        return live.get(name) as T;
      },
      commit: async () => {
        check();
        await Promise.resolve();
        if (this.failCommits) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        this.writes.set(name, (this.writes.get(name) ?? 0) + 1);
        this.persisted.set(name, JSON.stringify(live.get(name)));
      },
      replace: async (next: T) => {
        check();
        live.set(name, next);
        this.persisted.set(name, JSON.stringify(next));
      },
      close: async () => {
        if (closed) return;
        closed = true;
        const left = (this.#holders.get(name) ?? 1) - 1;
        if (left > 0) return void this.#holders.set(name, left);
        this.#holders.delete(name);
        this.#live.delete(name);
      },
    };
  }

  /** Names of the collections currently held in memory. */
  openNames(): string[] {
    return [...this.#live.keys()];
  }

  async list(): Promise<string[]> {
    return [...new Set([...this.#live.keys(), ...this.persisted.keys()])];
  }

  async drop(name: string): Promise<void> {
    this.#live.delete(name);
    this.#holders.delete(name);
    this.persisted.delete(name);
  }

  /** A new storage over what was persisted (a restart: unsaved changes are lost). */
  restart(): MemoryStorage {
    const next = new MemoryStorage();
    for (const [k, v] of this.persisted) next.persisted.set(k, v);
    return next;
  }
}
