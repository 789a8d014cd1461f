import type { NodePublicKeys } from '../../crypto/identity.js';
import type { NoiseSuite } from '../../crypto/tokens/grant.js';

/** What the directory keeps about a node: its public registration and when it was last seen. Nothing else. */
export interface NodeRecord {
  node_id: string;
  api_url: string;
  keys: NodePublicKeys;
  suites: NoiseSuite[];
  capabilities: string[];
  /** The node's own timestamp of the accepted registration (ms); later registrations must be greater. */
  ts: number;
  /** Directory clock when the registration was accepted (ms). */
  last_seen: number;
}

/** `since <= last_seen < before` (either bound optional). */
export interface SeenRange {
  since?: number;
  before?: number;
}

export interface NodeFilter extends SeenRange {
  capability?: string;
}

export interface NodeListPage {
  nodes: NodeRecord[];
  /** The last node id examined: the next page starts after it. Null when the listing is complete. */
  after: string | null;
}

export interface NodeCounts {
  total: number;
  active: number;
  stale: number;
  offline: number;
}

/**
 * A page scans at most this many candidates, so a filter that matches little cannot make one request walk
 * the whole table: such a page may hold fewer than `limit` nodes and still have a next cursor.
 */
export const MAX_SCAN_PER_PAGE = 2000;

/**
 * Storage of node registrations. Both implementations pass the same test suite
 * (test/unit/directory/store.test.ts). Records older than the retention window are treated as absent by
 * every method, whether or not they were physically removed yet.
 */
export interface DirectoryStore {
  readonly kind: 'lowdb' | 'redis';

  /**
   * Inserts or replaces the node's record, atomically refusing (ConflictError OR_ERR_STALE_REGISTRATION) when
   * the stored record has `ts >= record.ts`. Resolves once the change is durable.
   */
  upsertNode(record: NodeRecord): Promise<void>;

  getNode(id: string): Promise<NodeRecord | null>;

  /** Nodes ordered by id, strictly after `after` (null: from the start). */
  listNodes(filter: NodeFilter, after: string | null, limit: number): Promise<NodeListPage>;

  /** How many nodes are active (`last_seen >= activeSince`), stale, offline (`last_seen < onlineSince`). */
  counts(activeSince: number, onlineSince: number): Promise<NodeCounts>;

  /**
   * Records `key` for `ttlMs` and returns true, or returns false when it is already recorded: the replay guard
   * of signed one-shot requests (the key is a hash of the signed request, never a secret).
   */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;

  /** True when the store can serve requests. */
  ping(): Promise<boolean>;

  /** Flushes pending writes and releases connections and files. */
  close(): Promise<void>;
}
