import type { Logger } from 'pino';
import { verifyToken } from '../crypto/tokens/verify.js';
import type { ConnectionToken } from '../crypto/tokens/grant.js';
import { OpenRedError } from '../errors.js';
import { unixSeconds, type Clock } from '../kernel/clock.js';
import type { EventBus } from '../kernel/event-bus.js';
import type { StoredToken, TokenStore } from './token-store.js';

export interface TokenManagerOptions {
  store: TokenStore;
  clock: Clock;
  log: Logger;
  events?: EventBus;
  /** The pinned directory key: tokens signed by anything else are refused. */
  directoryPublicKey: string;
  selfId: string;
  /** How often expired tokens are removed. */
  cleanupIntervalMs?: number;
}

/**
 * Receives connection tokens from the directory, keeps them (TokenStore), hands them to the handshake, marks
 * grants consumed (single use) and removes expired ones. Waiters (an initiator that just asked the directory
 * for a connection) are woken as soon as their token arrives.
 */
export class TokenManager {
  readonly #o: TokenManagerOptions;
  readonly #waiters = new Map<string, Array<(t: StoredToken) => void>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TokenManagerOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    await this.#o.store.load();
    this.#o.store.startSync();
    await this.cleanup();
    const every = this.#o.cleanupIntervalMs ?? 60_000;
    this.#timer = setInterval(
      () => void this.cleanup().catch((err) => this.#o.log.warn({ err }, 'token cleanup failed')),
      every,
    );
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#o.store.stopSync();
    for (const [grantId] of this.#waiters) this.#waiters.delete(grantId);
  }

  /**
   * Accepts a token pushed by the directory: signature by the pinned key, names this node in its role, not
   * expired. Idempotent: the same grant pushed twice is stored once.
   */
  async receive(body: unknown): Promise<{ grant_id: string; status: 'stored' | 'duplicate' }> {
    const token = verifyToken(body, {
      directoryPublicKey: this.#o.directoryPublicKey,
      selfId: this.#o.selfId,
      clock: this.#o.clock,
    });
    const grantId = token.grant.grant_id;
    const existing = this.#o.store.get(grantId);
    if (existing) {
      if (existing.token.sig !== token.sig) {
        throw new OpenRedError(
          'OR_ERR_TOKEN_CONFLICT',
          'a different token for this grant is already held',
          409,
        );
      }
      return { grant_id: grantId, status: 'duplicate' };
    }
    const stored: StoredToken = { token, receivedAt: this.#o.clock.now() };
    await this.#o.store.put(stored);
    this.#o.events?.emit('token.received', { grant_id: grantId, role: token.role });
    for (const wake of this.#waiters.get(grantId) ?? []) wake(stored);
    this.#waiters.delete(grantId);
    return { grant_id: grantId, status: 'stored' };
  }

  get(grantId: string): StoredToken | undefined {
    return this.#o.store.get(grantId);
  }

  /** Resolves with the token of `grantId` once it has arrived (or at once if it already has). */
  waitFor(grantId: string, timeoutMs: number): Promise<StoredToken> {
    const have = this.#o.store.get(grantId);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(grantId) ?? [];
      const timer = setTimeout(() => {
        const rest = (this.#waiters.get(grantId) ?? []).filter((w) => w !== wake);
        if (rest.length > 0) this.#waiters.set(grantId, rest);
        else this.#waiters.delete(grantId);
        reject(
          new OpenRedError(
            'OR_ERR_TOKEN_TIMEOUT',
            `token for grant ${grantId} did not arrive in ${timeoutMs} ms`,
            504,
          ),
        );
      }, timeoutMs);
      const wake = (t: StoredToken): void => {
        clearTimeout(timer);
        resolve(t);
      };
      list.push(wake);
      this.#waiters.set(grantId, list);
    });
  }

  /** Marks a grant used; false if it already was (a replayed handshake). */
  consume(grantId: string): Promise<boolean> {
    return this.#o.store.consume(grantId, this.#o.clock.now());
  }

  /** Removes tokens whose grant has expired. */
  async cleanup(): Promise<number> {
    const removed = await this.#o.store.removeExpired(unixSeconds(this.#o.clock));
    if (removed > 0) this.#o.events?.emit('token.expired', { count: removed });
    return removed;
  }

  tokens(): ConnectionToken[] {
    return this.#o.store.list().map((s) => s.token);
  }
}
