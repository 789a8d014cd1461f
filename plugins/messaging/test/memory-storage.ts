import type { Collection, PluginStorage } from '@openred/plugin-sdk';

/**
 * A PluginStorage in memory for unit tests. `failCommits` makes commits reject (a full or broken disk);
 * `writes` counts commits per collection; `persisted` holds what the last successful commit of each
 * collection wrote (what a restart would read back).
 */
export class MemoryStorage implements PluginStorage {
  readonly dir = '/nonexistent';
  failCommits = false;
  readonly writes = new Map<string, number>();
  readonly persisted = new Map<string, string>();
  readonly #live = new Map<string, object>();

  async collection<T extends object>(name: string, defaults: T): Promise<Collection<T>> {
    if (!this.#live.has(name)) {
      const saved = this.persisted.get(name);
      this.#live.set(name, saved ? (JSON.parse(saved) as object) : structuredClone(defaults));
    }
    const live = this.#live;
    return {
      get data() {
        return live.get(name) as T;
      },
      commit: async () => {
        await Promise.resolve();
        if (this.failCommits) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        this.writes.set(name, (this.writes.get(name) ?? 0) + 1);
        this.persisted.set(name, JSON.stringify(live.get(name)));
      },
      replace: async (next: T) => {
        live.set(name, next);
        this.persisted.set(name, JSON.stringify(next));
      },
    };
  }

  async list(): Promise<string[]> {
    return [...this.#live.keys()];
  }

  async drop(name: string): Promise<void> {
    this.#live.delete(name);
    this.persisted.delete(name);
  }

  /** A new storage over what was persisted (a restart: unsaved changes are lost). */
  restart(): MemoryStorage {
    const next = new MemoryStorage();
    for (const [k, v] of this.persisted) next.persisted.set(k, v);
    return next;
  }
}
