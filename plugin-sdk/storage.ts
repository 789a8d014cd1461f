/**
 * A plugin's persistent data: namespaced lowdb documents in the node's data folder, one file per
 * collection, written atomically (fsync + rename), 0600. Keep each collection small, or shard by key
 * (`ctx.storage.collection('inbox-' + peer)`): every commit rewrites its whole file.
 */
export interface Collection<T> {
  /** The live document. Mutate it, then `commit()`. */
  readonly data: T;
  /** Resolves once a write that includes every change made so far is on disk. Concurrent commits coalesce. */
  commit(): Promise<void>;
  /** Replaces the document and commits. */
  replace(next: T): Promise<void>;
  /**
   * Says this holder is done with the collection. Once every holder of the same collection has closed it,
   * pending writes are flushed and the in-memory copy is dropped: the next `collection(name)` reads the file
   * again. Shards that are touched rarely (old inbox pages, settled history) should be closed so that a
   * long-running node does not keep its whole history in memory. Idempotent; any other use of a closed
   * handle throws `OR_ERR_STORAGE_CLOSED`.
   */
  close(): Promise<void>;
}

export interface PluginStorage {
  /** Opens (or creates with `defaults`) a collection. Names: letters, digits, `-`, `_`, `.`. */
  collection<T extends object>(name: string, defaults: T): Promise<Collection<T>>;
  /** Names of the collections this plugin has on disk. */
  list(): Promise<string[]>;
  /** Deletes a collection's file. */
  drop(name: string): Promise<void>;
  /** A private folder for files that are not JSON documents (e.g. shared files). */
  readonly dir: string;
}
