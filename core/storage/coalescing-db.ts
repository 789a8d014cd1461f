import { Low } from 'lowdb';
import type { Adapter } from 'lowdb';

/**
 * lowdb rewrites the whole file on every write (see STACK.md: ~56 ms at 10k records). This wrapper lets many
 * callers change `data` and ask for durability; all changes made while a write is running are flushed together
 * by the next single write. `commit()` resolves only once a write that includes the caller's change has
 * reached the disk, so "acknowledged" keeps meaning "durable".
 */
export class CoalescingDb<T> {
  readonly low: Low<T>;
  #writing: Promise<void> | null = null;
  #pending: Promise<void> | null = null;
  #dirty = false;
  writes = 0;

  constructor(adapter: Adapter<T>, defaults: T) {
    this.low = new Low<T>(adapter, defaults);
  }

  get data(): T {
    return this.low.data;
  }

  async load(): Promise<void> {
    await this.low.read();
  }

  /** Marks the data changed and waits until a write containing the change is on disk. */
  commit(): Promise<void> {
    this.#dirty = true;
    if (!this.#writing) {
      this.#writing = this.#runWrite();
      return this.#writing;
    }
    // A write is running and did not see this change: chain exactly one follow-up write for all such callers.
    if (!this.#pending) {
      this.#pending = this.#writing.then(
        () => this.#next(),
        () => this.#next(),
      );
    }
    return this.#pending;
  }

  async #next(): Promise<void> {
    this.#pending = null;
    this.#writing = this.#runWrite();
    return this.#writing;
  }

  async #runWrite(): Promise<void> {
    this.#dirty = false;
    try {
      this.writes++;
      await this.low.write();
    } finally {
      // Only clear if no follow-up has replaced us.
      if (!this.#pending) this.#writing = null;
    }
  }

  /** Waits for any running or scheduled write. */
  async flush(): Promise<void> {
    while (this.#writing || this.#pending) {
      await (this.#pending ?? this.#writing);
    }
    if (this.#dirty) await this.commit();
  }
}
