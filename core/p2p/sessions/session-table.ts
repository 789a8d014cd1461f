import { toB64u } from '../../crypto/encoding.js';
import type { SessionKeys } from '../../crypto/handshake.js';
import type { CipherRegistry } from '../../crypto/ciphers/registry.js';
import { TransportSession } from '../../crypto/transport/transport-session.js';
import type { MethodPolicy } from '../../crypto/epochs.js';
import { OpenRedError } from '../../errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { PeerSession } from './peer-session.js';

export interface SessionTableOptions {
  clock: Clock;
  registry: CipherRegistry;
  policy: MethodPolicy;
  epochSeconds: number;
  graceSeconds: number;
  /** Session lifetime. */
  ttlMs: number;
  /** Most sessions held at once (each costs two keys and a replay window). */
  maxSessions: number;
}

/**
 * Live sessions by id, and the current session per peer. This is also the validation cache of DESIGN.md §7:
 * a request on a known session costs one lookup and one AEAD open; no signature or DH runs per request.
 * A replaced session (after renewal) stays valid until its own expiry, so requests already sent on it
 * still succeed: nothing is lost or resent during the switch.
 */
export class SessionTable {
  readonly #o: SessionTableOptions;
  readonly #byId = new Map<string, PeerSession>();
  readonly #current = new Map<string, PeerSession>();

  constructor(options: SessionTableOptions) {
    this.#o = options;
  }

  add(keys: SessionKeys, extra: { peerUrl?: string; onStale?: () => void } = {}): PeerSession {
    this.sweep();
    if (this.#byId.size >= this.#o.maxSessions) {
      throw new OpenRedError('OR_ERR_SESSION_LIMIT', 'too many open sessions', 503);
    }
    const now = this.#o.clock.now();
    const transport = new TransportSession(keys, {
      registry: this.#o.registry,
      clock: this.#o.clock,
      policy: this.#o.policy,
      epochSeconds: this.#o.epochSeconds,
      graceSeconds: this.#o.graceSeconds,
      onStale: extra.onStale,
    });
    const session: PeerSession = {
      id: toB64u(keys.handshakeHash.subarray(0, 18)),
      peerId: keys.peerId,
      role: keys.role,
      transport,
      grantId: keys.grant.grant_id,
      establishedAt: now,
      expiresAt: now + this.#o.ttlMs,
      lastActivityAt: now,
      peerUrl: extra.peerUrl,
    };
    this.#byId.set(session.id, session);
    this.#current.set(session.peerId, session);
    return session;
  }

  /** A live session by id, or undefined (unknown or expired). */
  get(id: string): PeerSession | undefined {
    const s = this.#byId.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.#o.clock.now()) {
      this.drop(s);
      return undefined;
    }
    return s;
  }

  /** The newest live session with `peer`. */
  current(peer: string): PeerSession | undefined {
    const s = this.#current.get(peer);
    if (!s) return undefined;
    return this.get(s.id);
  }

  touch(session: PeerSession): void {
    session.lastActivityAt = this.#o.clock.now();
  }

  drop(session: PeerSession): void {
    this.#byId.delete(session.id);
    if (this.#current.get(session.peerId) === session) this.#current.delete(session.peerId);
    session.transport.destroy();
  }

  /** Removes expired sessions; returns how many. */
  sweep(): number {
    const now = this.#o.clock.now();
    let n = 0;
    for (const s of this.#byId.values()) {
      if (s.expiresAt <= now) {
        this.drop(s);
        n++;
      }
    }
    return n;
  }

  list(): PeerSession[] {
    return [...this.#byId.values()];
  }

  get size(): number {
    return this.#byId.size;
  }

  clear(): void {
    for (const s of [...this.#byId.values()]) this.drop(s);
  }
}
