/**
 * The directory's wire format (`/api/v3`): bodies, answers and their JSON Schemas. The service validates
 * requests with these schemas and the client validates answers with them, so neither trusts the other's shape.
 * Times named `ts` and `last_seen` are Unix milliseconds; a grant's `expires_at` is the grant's own field
 * (Unix seconds).
 */
import type { NodePublicKeys } from '../crypto/identity.js';
import type { NoiseSuite } from '../crypto/tokens/grant.js';

export const API_PREFIX = '/api/v3';

export type NodeStatus = 'active' | 'stale' | 'offline';
export const NODE_STATUSES: readonly NodeStatus[] = ['active', 'stale', 'offline'];

export interface RegistrationBody {
  node_id: string;
  /** Base URL of the node's peer surface; tokens go to `<api_url>/p2p/tokens/receive`. */
  api_url: string;
  keys: NodePublicKeys;
  /** Noise suites the node accepts, by preference. */
  suites: NoiseSuite[];
  /** Modules and services the node offers (`messaging`, `file-sharing`, plugin names). */
  capabilities?: string[];
  ts: number;
  /** Ed25519 (node key) over the canonical JSON of every other field. */
  sig: string;
}

export interface RegistrationResult {
  node_id: string;
  status: NodeStatus;
  last_seen: number;
  /** How often the directory expects a heartbeat (a re-registration). */
  heartbeat_seconds: number;
}

export interface NodeView {
  node_id: string;
  api_url: string;
  keys: NodePublicKeys;
  suites: NoiseSuite[];
  capabilities: string[];
  last_seen: number;
  status: NodeStatus;
}

export interface NodePage {
  nodes: NodeView[];
  /** Pass back as `cursor` for the next page; null when the listing is complete. */
  next_cursor: string | null;
}

export interface DiscoverQuery {
  id?: string;
  status?: NodeStatus;
  capability?: string;
  cursor?: string;
  /** Decimal string on the wire. */
  limit?: string;
}

export interface ConnectionRequestBody {
  /** The requesting node (the initiator); it signs the request. */
  from: string;
  /** The node to connect to (the responder). */
  target: string;
  /** Preferred suite; by default the directory picks one both nodes accept. */
  suite?: NoiseSuite;
  ts: number;
  sig: string;
}

export interface ConnectionResult {
  grant_id: string;
  /** Unix seconds. */
  expires_at: number;
  suite: NoiseSuite;
  delivered: { initiator: boolean; responder: boolean };
}

export interface HealthView {
  status: 'ok' | 'degraded';
  version: string;
  store: { kind: 'lowdb' | 'redis'; ok: boolean };
  counts: { total: number; active: number; stale: number; offline: number } | null;
  /** The directory's Ed25519 public key; nodes must compare it with the one they pinned, never adopt it. */
  public_key: string;
  fingerprint: string;
  /** Connection requests being answered right now; 0 when idle (nothing is kept after answering). */
  grants_in_flight: number;
}

/** Headers of a signed GET (discover). */
export const SIGNED_HEADERS = { node: 'openred-node', ts: 'openred-ts', sig: 'openred-sig' } as const;

// ---- JSON Schemas ----

const nodeId = { type: 'string', pattern: '^or[a-z2-7]{32}$' } as const;
const b64u32 = { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } as const;
const sig = { type: 'string', pattern: '^[A-Za-z0-9_-]{86}$' } as const;
const ms = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const suite = { enum: ['25519_ChaChaPoly_SHA256', '25519_AESGCM_SHA256'] } as const;
export const CAPABILITY_PATTERN = '^[a-z0-9@][a-z0-9._@/-]{0,63}$';
const capability = { type: 'string', pattern: CAPABILITY_PATTERN } as const;
const keys = {
  type: 'object',
  additionalProperties: false,
  required: ['x25519', 'ed25519'],
  properties: { x25519: b64u32, ed25519: b64u32 },
} as const;
const suites = { type: 'array', minItems: 1, maxItems: 2, uniqueItems: true, items: suite } as const;
const capabilities = { type: 'array', maxItems: 64, uniqueItems: true, items: capability } as const;
const status = { enum: ['active', 'stale', 'offline'] } as const;

export const registrationBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['node_id', 'api_url', 'keys', 'suites', 'ts', 'sig'],
  properties: {
    node_id: nodeId,
    api_url: { type: 'string', minLength: 8, maxLength: 2048 },
    keys,
    suites,
    capabilities,
    ts: ms,
    sig,
  },
} as const;

export const connectionRequestBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'target', 'ts', 'sig'],
  properties: { from: nodeId, target: nodeId, suite, ts: ms, sig },
} as const;

export const discoverQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: nodeId,
    status,
    capability,
    cursor: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
    limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
  },
} as const;

export const registrationResultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['node_id', 'status', 'last_seen', 'heartbeat_seconds'],
  properties: { node_id: nodeId, status, last_seen: ms, heartbeat_seconds: { type: 'integer', minimum: 1 } },
} as const;

export const nodeViewSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['node_id', 'api_url', 'keys', 'suites', 'capabilities', 'last_seen', 'status'],
  properties: {
    node_id: nodeId,
    api_url: { type: 'string', maxLength: 2048 },
    keys,
    suites,
    capabilities,
    last_seen: ms,
    status,
  },
} as const;

export const nodePageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['nodes', 'next_cursor'],
  properties: {
    nodes: { type: 'array', items: nodeViewSchema },
    next_cursor: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  },
} as const;

export const connectionResultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['grant_id', 'expires_at', 'suite', 'delivered'],
  properties: {
    grant_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' },
    expires_at: ms,
    suite,
    delivered: {
      type: 'object',
      additionalProperties: false,
      required: ['initiator', 'responder'],
      properties: { initiator: { type: 'boolean' }, responder: { type: 'boolean' } },
    },
  },
} as const;

export const healthSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'version', 'store', 'counts', 'public_key', 'fingerprint', 'grants_in_flight'],
  properties: {
    status: { enum: ['ok', 'degraded'] },
    version: { type: 'string' },
    store: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'ok'],
      properties: { kind: { enum: ['lowdb', 'redis'] }, ok: { type: 'boolean' } },
    },
    counts: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['total', 'active', 'stale', 'offline'],
          properties: {
            total: { type: 'integer' },
            active: { type: 'integer' },
            stale: { type: 'integer' },
            offline: { type: 'integer' },
          },
        },
      ],
    },
    public_key: b64u32,
    fingerprint: { type: 'string' },
    grants_in_flight: { type: 'integer', minimum: 0 },
  },
} as const;
