/**
 * The set of cipher methods sessions may use. Built-ins are registered at construction through the same
 * conformance gate as plugin methods. A plugin's methods are tracked by owner so a plugin unload (or a hot
 * reload, which unregisters then registers) removes exactly its methods; listeners hear every change so live
 * sessions can drop cached keys and re-select their method.
 */
import { CryptoError } from '../../errors.js';
import { aes256Gcm } from './aes-256-gcm.js';
import { AES_256_GCM_VECTORS, CHACHA20_POLY1305_VECTORS } from './builtin-vectors.js';
import { chacha20Poly1305 } from './chacha20-poly1305.js';
import type { CipherMethod, CipherVector } from './cipher-method.js';
import { checkConformance } from './conformance.js';

export const CORE_OWNER = 'core';

export interface CipherChange {
  added: string[];
  removed: string[];
}

export type CipherChangeListener = (change: CipherChange) => void;

interface Entry {
  method: CipherMethod;
  owner: string;
}

export class CipherRegistry {
  #methods = new Map<string, Entry>();
  #listeners = new Set<CipherChangeListener>();

  constructor(opts: { builtins?: boolean } = {}) {
    if (opts.builtins !== false) {
      this.register(chacha20Poly1305, { owner: CORE_OWNER, vectors: CHACHA20_POLY1305_VECTORS });
      this.register(aes256Gcm, { owner: CORE_OWNER, vectors: AES_256_GCM_VECTORS });
    }
  }

  /**
   * Enables `method` after it passes the conformance check (throws OR_ERR_CIPHER_CONFORMANCE otherwise, and
   * nothing changes). An id already held by another owner is a conflict; the same owner replaces its own.
   */
  register(method: CipherMethod, opts: { owner: string; vectors: readonly CipherVector[] }): void {
    checkConformance(method, opts.vectors);
    const existing = this.#methods.get(method.id);
    if (existing !== undefined && existing.owner !== opts.owner) {
      throw new CryptoError(
        'OR_ERR_CIPHER_CONFLICT',
        `cipher method ${method.id} is owned by ${existing.owner}`,
        409,
      );
    }
    this.#methods.set(method.id, { method, owner: opts.owner });
    this.#emit({ added: [method.id], removed: existing === undefined ? [] : [method.id] });
  }

  /** Removes every method registered by `owner`; returns their ids. */
  unregister(owner: string): string[] {
    const removed = [...this.#methods].filter(([, e]) => e.owner === owner).map(([id]) => id);
    for (const id of removed) this.#methods.delete(id);
    if (removed.length > 0) this.#emit({ added: [], removed });
    return removed;
  }

  get(id: string): CipherMethod | undefined {
    return this.#methods.get(id)?.method;
  }

  /** The method with this id, or OR_ERR_CIPHER_UNAVAILABLE. */
  require(id: string): CipherMethod {
    const m = this.get(id);
    if (m === undefined)
      throw new CryptoError('OR_ERR_CIPHER_UNAVAILABLE', `cipher method ${id} is not enabled`, 503);
    return m;
  }

  /** Enabled method ids, sorted (the order peers offer them in). */
  ids(): string[] {
    return [...this.#methods.keys()].sort();
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: CipherChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: CipherChange): void {
    for (const l of [...this.#listeners]) {
      try {
        l(change);
      } catch {
        // A failing listener must not stop the others nor undo the change.
      }
    }
  }
}
