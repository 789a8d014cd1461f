import { readFile } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import { writeFileAtomic } from './atomic-file.js';

/**
 * A lowdb adapter that writes with fsync + atomic rename (lowdb's own JSONFile, through steno, renames but
 * does not fsync, so an acknowledged write could vanish on power loss). Files are 0600.
 * An optional codec encrypts the whole document at rest.
 */
export interface Codec {
  encode(plain: string): string | Uint8Array;
  decode(stored: Buffer): string;
}

export class DurableJsonFile<T> implements Adapter<T> {
  readonly #path: string;
  readonly #codec?: Codec;

  constructor(path: string, codec?: Codec) {
    this.#path = path;
    this.#codec = codec;
  }

  get path(): string {
    return this.#path;
  }

  async read(): Promise<T | null> {
    let raw: Buffer;
    try {
      raw = await readFile(this.#path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const text = this.#codec ? this.#codec.decode(raw) : raw.toString('utf8');
    return JSON.parse(text) as T;
  }

  async write(data: T): Promise<void> {
    const text = JSON.stringify(data);
    await writeFileAtomic(this.#path, this.#codec ? this.#codec.encode(text) : text, 0o600);
  }
}
