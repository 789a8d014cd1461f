import { OpenRedError } from '../errors.js';

/**
 * Named services plugins offer each other (`ctx.provide('auth.ownerGuard', fn)` / `ctx.service(...)`).
 * A reloaded provider replaces its entry; an unloaded one removes it. Consumers look services up at use
 * time rather than caching them, so they always see the live version.
 */
export class ServiceRegistry {
  readonly #entries = new Map<string, { owner: string; value: unknown }>();

  provide(owner: string, name: string, value: unknown): void {
    const existing = this.#entries.get(name);
    if (existing && existing.owner !== owner) {
      throw new OpenRedError(
        'OR_ERR_SERVICE_TAKEN',
        `service ${name} is already provided by ${existing.owner}`,
      );
    }
    this.#entries.set(name, { owner, value });
  }

  get<T>(name: string): T {
    const entry = this.#entries.get(name);
    if (!entry)
      throw new OpenRedError('OR_ERR_SERVICE_UNAVAILABLE', `no plugin provides service ${name}`, 503);
    return entry.value as T;
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Removes every service `owner` provides, except those in `keep`. */
  removeOwner(owner: string, keep: ReadonlySet<string> = new Set()): void {
    for (const [name, entry] of this.#entries) {
      if (entry.owner === owner && !keep.has(name)) this.#entries.delete(name);
    }
  }
}
