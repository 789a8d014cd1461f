import type { Collection, PluginStorage } from '@openred/plugin-sdk';

interface Slot<T> {
  opening: Promise<Collection<T>>;
  /** Callbacks running with this shard: it is never closed under them. */
  leases: number;
}

export interface ShardCacheOptions<T> {
  /** The document a shard starts as. */
  defaults: () => T;
  /** Shards kept open when nothing uses them (least recently used are closed first). */
  capacity: number;
  /** Shards that must stay open although no callback runs (something else refers to their entries). */
  pinned?: (name: string) => boolean;
}

/**
 * A bounded set of open shard collections. Inbox and outbox keep their history in many small shards; keeping
 * every shard a long-running node ever touched in memory made its footprint grow with its history (about
 * 650 bytes per message in a 30-minute soak). Shards are opened on use and closed, least recently used first,
 * once more than `capacity` are open, except while a `use()` callback runs with them or they are pinned.
 */
export class ShardCache<T extends object> {
  readonly #storage: PluginStorage;
  readonly #options: ShardCacheOptions<T>;
  readonly #slots = new Map<string, Slot<T>>();
  #capacity: number;

  constructor(storage: PluginStorage, options: ShardCacheOptions<T>) {
    this.#storage = storage;
    this.#options = options;
    this.#capacity = options.capacity;
  }

  /** Shards open right now (in use, pinned or cached). */
  get size(): number {
    return this.#slots.size;
  }

  /** Runs `fn` with the shard `name` open; the shard stays open until `fn` settles. */
  async use<R>(name: string, fn: (shard: Collection<T>) => R | Promise<R>): Promise<R> {
    let slot = this.#slots.get(name);
    if (slot) {
      // Map order is the recency order: move to the most recent end.
      this.#slots.delete(name);
      this.#slots.set(name, slot);
    } else {
      const opened: Slot<T> = {
        opening: this.#storage.collection(name, this.#options.defaults()),
        leases: 0,
      };
      slot = opened;
      this.#slots.set(name, opened);
      opened.opening.catch(() => {
        if (this.#slots.get(name) === opened) this.#slots.delete(name);
      });
    }
    slot.leases++;
    try {
      return await fn(await slot.opening);
    } finally {
      slot.leases--;
      this.#trim();
    }
  }

  /** Closes `name` now if it is open and unused (before the caller drops its file). */
  async forget(name: string): Promise<void> {
    const slot = this.#slots.get(name);
    if (!slot || slot.leases > 0) return;
    this.#slots.delete(name);
    await closeQuietly(slot);
  }

  /** Closes every shard as soon as nothing uses it (the plugin is being unloaded). */
  retire(): void {
    this.#capacity = 0;
    this.#trim();
  }

  #trim(): void {
    if (this.#slots.size <= this.#capacity) return;
    for (const [name, slot] of this.#slots) {
      if (this.#slots.size <= this.#capacity) return;
      if (slot.leases > 0 || this.#options.pinned?.(name)) continue;
      this.#slots.delete(name);
      void closeQuietly(slot);
    }
  }
}

/**
 * Closing flushes pending writes. A failed flush (full disk) leaves the collection in the storage's memory
 * with its changes, and the next open gets that same copy back, so nothing is lost by not waiting here.
 */
async function closeQuietly<T>(slot: Slot<T>): Promise<void> {
  try {
    await (await slot.opening).close();
  } catch {
    // See above: the storage keeps what it could not write.
  }
}
