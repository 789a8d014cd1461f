/**
 * Presence is derived, never stored: a node's status follows from `last_seen` (the directory's clock when it
 * last accepted a registration from that node) and the configured TTLs.
 *
 *   age <= activeSeconds   -> active
 *   age <= offlineSeconds  -> stale
 *   otherwise              -> offline   (and after retentionSeconds the node is forgotten)
 */
import type { NodeStatus } from './protocol.js';
import type { SeenRange } from './store/types.js';

export interface PresenceTtls {
  activeSeconds: number;
  offlineSeconds: number;
  retentionSeconds: number;
}

export class Presence {
  readonly #ttl: PresenceTtls;

  constructor(ttl: PresenceTtls) {
    this.#ttl = ttl;
  }

  status(lastSeen: number, now: number): NodeStatus {
    const age = now - lastSeen;
    if (age <= this.#ttl.activeSeconds * 1000) return 'active';
    if (age <= this.#ttl.offlineSeconds * 1000) return 'stale';
    return 'offline';
  }

  /** `last_seen` at or after this is active. */
  activeSince(now: number): number {
    return now - this.#ttl.activeSeconds * 1000;
  }

  /** `last_seen` at or after this is active or stale; before it, offline. */
  onlineSince(now: number): number {
    return now - this.#ttl.offlineSeconds * 1000;
  }

  /** The `last_seen` range a status filter selects. */
  range(status: NodeStatus, now: number): SeenRange {
    switch (status) {
      case 'active':
        return { since: this.activeSince(now) };
      case 'stale':
        return { since: this.onlineSince(now), before: this.activeSince(now) };
      case 'offline':
        return { before: this.onlineSince(now) };
    }
  }

  /** Suggested heartbeat period: three heartbeats per active window, so one lost beat changes nothing. */
  get heartbeatSeconds(): number {
    return Math.max(1, Math.floor(this.#ttl.activeSeconds / 3));
  }
}
