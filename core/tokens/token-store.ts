import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { ConnectionToken } from '../crypto/tokens/grant.js';
import { writeFileAtomic } from '../storage/atomic-file.js';
import { parseEnvFile, serializeEnvFile, type EnvEntry } from './env-file.js';
import { withFileLock } from './file-lock.js';
import { AT_REST_SCHEME, openText, sealText } from './sealed-text.js';

/** A token as the node keeps it: the directory's token (its secret is HPKE-sealed to this node) + metadata. */
export interface StoredToken {
  token: ConnectionToken;
  receivedAt: number;
  /** Set on the responder once a valid handshake message 1 used it (grants are single-use). */
  consumedAt?: number;
}

/**
 * The node's connection tokens, in the `.env`-style file of DESIGN.md §7. Each entry is additionally sealed
 * with a key derived from the node secret, with the entry name as AAD (the token's own secret is already
 * sealed to the node's X25519 key; this layer hides the grant metadata — who talks to whom — at rest).
 *
 * Concurrency: every change is a read-modify-write of the file under a cross-process lock, merged at the
 * entry level, then written atomically (temp + fsync + rename). Two processes sharing a data folder therefore
 * never corrupt the file or lose each other's entries. A file watcher reloads the cache when another process
 * changes it ("sync").
 */
export class TokenStore {
  readonly #file: string;
  readonly #key: Uint8Array;
  readonly #log: Logger;
  #cache = new Map<string, { sealed: string; value: StoredToken }>();
  #watcher: FSWatcher | undefined;
  #lastStamp = '';
  #reloading: Promise<void> | null = null;

  constructor(options: { file: string; key: Uint8Array; log: Logger }) {
    this.#file = options.file;
    this.#key = options.key;
    this.#log = options.log;
  }

  get file(): string {
    return this.#file;
  }

  async load(): Promise<void> {
    const entries = await this.#readEntries();
    this.#refreshCache(entries);
    this.#lastStamp = await this.#stamp();
  }

  get(grantId: string): StoredToken | undefined {
    const v = this.#cache.get(grantId)?.value;
    return v && structuredClone(v);
  }

  list(): StoredToken[] {
    return [...this.#cache.values()].map((e) => structuredClone(e.value));
  }

  get size(): number {
    return this.#cache.size;
  }

  /** Adds or replaces an entry; resolves once it is durable. */
  async put(value: StoredToken): Promise<void> {
    await this.#mutate((entries) => {
      const name = value.token.grant.grant_id;
      entries.set(name, { grantId: name, scheme: AT_REST_SCHEME, sealed: this.#seal(name, value) });
    });
  }

  /**
   * Marks a grant consumed unless it already was; returns false if it was (replay). The check and the write
   * happen under the file lock, so two processes cannot both consume one grant.
   */
  async consume(grantId: string, now: number): Promise<boolean> {
    let fresh = false;
    await this.#mutate((entries) => {
      const e = entries.get(grantId);
      if (!e) return;
      const value = this.#open(e);
      if (!value || value.consumedAt !== undefined) return;
      value.consumedAt = now;
      entries.set(grantId, { ...e, sealed: this.#seal(grantId, value) });
      fresh = true;
    });
    return fresh;
  }

  async remove(grantIds: string[]): Promise<void> {
    if (grantIds.length === 0) return;
    await this.#mutate((entries) => grantIds.forEach((id) => entries.delete(id)));
  }

  /** Deletes tokens whose grant expired before `nowSeconds`; returns how many. */
  async removeExpired(nowSeconds: number): Promise<number> {
    const expired = [...this.#cache.entries()]
      .filter(([, e]) => e.value.token.grant.expires_at <= nowSeconds)
      .map(([id]) => id);
    await this.remove(expired);
    return expired.length;
  }

  /** Reloads the cache whenever another process changes the file. */
  startSync(): void {
    if (this.#watcher) return;
    try {
      this.#watcher = watch(dirname(this.#file), (_event, name) => {
        if (name === basename(this.#file)) void this.#reloadIfChanged();
      });
      this.#watcher.on('error', (err) => this.#log.warn({ err }, 'token store watcher error'));
      this.#watcher.unref();
    } catch (err) {
      this.#log.warn(
        { err },
        'token store cannot watch its file; changes by other processes are seen on next write',
      );
    }
  }

  stopSync(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  async #reloadIfChanged(): Promise<void> {
    this.#reloading ??= (async () => {
      try {
        const stamp = await this.#stamp();
        if (stamp !== this.#lastStamp) await this.load();
      } finally {
        this.#reloading = null;
      }
    })();
    return this.#reloading;
  }

  async #mutate(change: (entries: Map<string, EnvEntry>) => void): Promise<void> {
    await withFileLock(`${this.#file}.lock`, async () => {
      const entries = new Map((await this.#readEntries()).map((e) => [e.grantId, e]));
      change(entries);
      await writeFileAtomic(this.#file, serializeEnvFile(entries.values()), 0o600);
      this.#refreshCache([...entries.values()]);
      this.#lastStamp = await this.#stamp();
    });
  }

  async #readEntries(): Promise<EnvEntry[]> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const { entries, malformed } = parseEnvFile(text);
    if (malformed.length > 0)
      this.#log.warn({ file: this.#file, lines: malformed }, 'ignoring malformed token lines');
    return entries;
  }

  #refreshCache(entries: EnvEntry[]): void {
    const next = new Map<string, { sealed: string; value: StoredToken }>();
    for (const e of entries) {
      const cached = this.#cache.get(e.grantId);
      if (cached && cached.sealed === e.sealed) {
        next.set(e.grantId, cached);
        continue;
      }
      const value = this.#open(e);
      if (value) next.set(e.grantId, { sealed: e.sealed, value });
    }
    this.#cache = next;
  }

  #seal(name: string, value: StoredToken): string {
    return sealText(this.#key, JSON.stringify(value), `${'OPENRED_TOKEN_'}${name}`);
  }

  #open(e: EnvEntry): StoredToken | undefined {
    if (e.scheme !== AT_REST_SCHEME) {
      this.#log.warn({ grant: e.grantId, scheme: e.scheme }, 'unknown token scheme; entry ignored');
      return undefined;
    }
    try {
      return JSON.parse(openText(this.#key, e.sealed, `OPENRED_TOKEN_${e.grantId}`)) as StoredToken;
    } catch {
      this.#log.warn({ grant: e.grantId }, 'token entry failed authentication; ignored');
      return undefined;
    }
  }

  async #stamp(): Promise<string> {
    try {
      const s = await stat(this.#file);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }
}
