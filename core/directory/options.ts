/**
 * Settings of a directory service. `DirectoryOptions` is what an operator writes (every field optional);
 * `resolveDirectoryOptions` applies the schema's defaults and returns `ResolvedDirectoryOptions`.
 * The kernel embeds `directoryOptionsSchema` under `directory.embedded` in its own config schema.
 */
import ipaddr from 'ipaddr.js';
import { ConfigError } from '../errors.js';
import { ajv, describeErrors } from '../http/validation.js';
import type { RateLimit } from '../http/rate-limiter.js';
import type { NoiseSuite } from '../crypto/tokens/grant.js';

export type DirectoryStoreKind = 'lowdb' | 'redis';

export interface PresenceOptions {
  /** A node seen within this many seconds is `active`. */
  activeSeconds?: number;
  /** A node not seen for more than this many seconds is `offline` (in between it is `stale`). */
  offlineSeconds?: number;
  /** A node not seen for this long is forgotten (Redis: key expiry; lowdb: pruned). */
  retentionSeconds?: number;
}

export interface OutboundOptions {
  /** URL schemes accepted for `api_url`. */
  allowedSchemes?: Array<'http' | 'https'>;
  /** RFC 1918, RFC 6598 (carrier-grade NAT) and IPv6 unique-local addresses. */
  allowPrivate?: boolean;
  /** 127.0.0.0/8, ::1 and `localhost` names (the embedded dev/demo setup turns this on). */
  allowLoopback?: boolean;
  /** 169.254.0.0/16 and fe80::/10, except cloud metadata addresses (those only through `allowedCidrs`). */
  allowLinkLocal?: boolean;
  /** Ranges always allowed, e.g. a community LAN: `["10.20.0.0/16", "fd12:3456::/32"]`. */
  allowedCidrs?: string[];
  /** Resolve `api_url` host names when a node registers (they are always resolved again at delivery time). */
  checkDnsOnRegister?: boolean;
}

export interface RateLimitOptions {
  /** Every request, keyed by source address. */
  perAddress?: RateLimit;
  /** Signed requests, keyed by the signing node id (counted after the signature verifies). */
  perNode?: RateLimit;
  /** Connection requests, keyed by the requesting node id. */
  connectionsPerNode?: RateLimit;
  /** Most keys each limiter remembers (least recently used are forgotten first). */
  maxTrackedKeys?: number;
}

export interface DeliveryOptions {
  /** Per attempt, connect + answer. */
  timeoutMs?: number;
  /** Attempts after the first one, on network errors, 5xx and 429. */
  retries?: number;
  /** Wait before the first retry; doubled each time. */
  retryDelayMs?: number;
}

export interface DirectoryLimits {
  maxBodyBytes?: number;
  maxJsonDepth?: number;
  handlerTimeoutMs?: number;
  /** A client must send its request headers within this (slowloris). */
  headersTimeoutMs?: number;
  /** A whole request (headers and body) must arrive within this. */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs?: number;
  /** Largest `limit` of a discover page. */
  maxPageSize?: number;
}

export interface DirectoryOptions {
  port?: number;
  host?: string;
  /** lowdb files (nodes/) and, unless `keyDir` says otherwise, the directory key. */
  dataDir?: string;
  /** Folder of `directory-key.pem`. Instances scaled out on one Redis must share the same key. */
  keyDir?: string;
  store?: DirectoryStoreKind;
  redisUrl?: string;
  /** Prefix of every Redis key; instances that share a community share the prefix. */
  keyPrefix?: string;
  /** The lowdb node table is split over this many files by id, so each write stays small. */
  lowdbShards?: number;
  presence?: PresenceOptions;
  /** Signed requests whose `ts` is further than this from the directory clock are refused. */
  maxClockSkewSeconds?: number;
  tokenTtlSeconds?: number;
  epochSeconds?: number;
  defaultSuite?: NoiseSuite;
  /** Discover calls must be signed by a registered node (anti-enumeration). */
  requireSignedDiscover?: boolean;
  /** Take the source address from X-Forwarded-For (only behind a trusted load balancer). */
  trustProxy?: boolean;
  outbound?: OutboundOptions;
  rateLimits?: RateLimitOptions;
  delivery?: DeliveryOptions;
  limits?: DirectoryLimits;
}

type DeepRequired<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends object
    ? DeepRequiredLeaf<NonNullable<T[K]>>
    : NonNullable<T[K]>;
};
type DeepRequiredLeaf<T> = T extends unknown[] ? T : T extends RateLimit ? RateLimit : DeepRequired<T>;

export type ResolvedDirectoryOptions = Omit<DeepRequired<DirectoryOptions>, 'keyDir'> & { keyDir: string };

const rateLimit = (perSecond: number, burst: number) => ({
  type: 'object',
  additionalProperties: false,
  required: ['perSecond', 'burst'],
  default: { perSecond, burst },
  properties: {
    perSecond: { type: 'number', exclusiveMinimum: 0 },
    burst: { type: 'integer', minimum: 1 },
  },
});

const section = (properties: Record<string, object>) => ({
  type: 'object',
  additionalProperties: false,
  default: {},
  properties,
});

/** JSON Schema (draft-07) of DirectoryOptions, with the defaults. */
export const directoryOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 7600 },
    host: { type: 'string', minLength: 1, default: '127.0.0.1' },
    dataDir: { type: 'string', minLength: 1, default: '.data/directory' },
    keyDir: { type: 'string', minLength: 1 },
    store: { enum: ['lowdb', 'redis'], default: 'lowdb' },
    redisUrl: { type: 'string', pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' },
    keyPrefix: { type: 'string', minLength: 1, maxLength: 100, default: 'openred:dir:' },
    lowdbShards: { type: 'integer', minimum: 1, maximum: 1024, default: 256 },
    presence: section({
      activeSeconds: { type: 'integer', minimum: 1, default: 90 },
      offlineSeconds: { type: 'integer', minimum: 1, default: 300 },
      retentionSeconds: { type: 'integer', minimum: 1, default: 7 * 86400 },
    }),
    maxClockSkewSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 60 },
    tokenTtlSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 300 },
    epochSeconds: { type: 'integer', minimum: 1, default: 3600 },
    defaultSuite: {
      enum: ['25519_ChaChaPoly_SHA256', '25519_AESGCM_SHA256'],
      default: '25519_ChaChaPoly_SHA256',
    },
    requireSignedDiscover: { type: 'boolean', default: true },
    trustProxy: { type: 'boolean', default: false },
    outbound: section({
      allowedSchemes: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { enum: ['http', 'https'] },
        default: ['http', 'https'],
      },
      allowPrivate: { type: 'boolean', default: false },
      allowLoopback: { type: 'boolean', default: false },
      allowLinkLocal: { type: 'boolean', default: false },
      allowedCidrs: { type: 'array', items: { type: 'string', maxLength: 64 }, default: [] },
      checkDnsOnRegister: { type: 'boolean', default: true },
    }),
    rateLimits: section({
      perAddress: rateLimit(20, 60),
      perNode: rateLimit(2, 20),
      connectionsPerNode: rateLimit(1, 10),
      maxTrackedKeys: { type: 'integer', minimum: 1, default: 100_000 },
    }),
    delivery: section({
      timeoutMs: { type: 'integer', minimum: 1, maximum: 60_000, default: 3000 },
      retries: { type: 'integer', minimum: 0, maximum: 5, default: 2 },
      retryDelayMs: { type: 'integer', minimum: 0, maximum: 10_000, default: 200 },
    }),
    limits: section({
      maxBodyBytes: { type: 'integer', minimum: 256, maximum: 1048576, default: 16384 },
      maxJsonDepth: { type: 'integer', minimum: 4, maximum: 64, default: 8 },
      handlerTimeoutMs: { type: 'integer', minimum: 100, maximum: 300_000, default: 30_000 },
      headersTimeoutMs: { type: 'integer', minimum: 100, maximum: 300_000, default: 10_000 },
      requestTimeoutMs: { type: 'integer', minimum: 100, maximum: 600_000, default: 30_000 },
      keepAliveTimeoutMs: { type: 'integer', minimum: 100, maximum: 300_000, default: 5_000 },
      maxPageSize: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    }),
  },
} as const;

const validate = ajv.compile(directoryOptionsSchema);

/**
 * Applies defaults and checks the options, including the rules one schema cannot express. Throws ConfigError
 * listing every problem. The input is not modified.
 */
export function resolveDirectoryOptions(options: DirectoryOptions = {}): ResolvedDirectoryOptions {
  let copy: Record<string, unknown>;
  try {
    copy = structuredClone(options) as Record<string, unknown>;
  } catch (err) {
    // A function, symbol or similar value somewhere in the object: no option can be one.
    const why = `directory options are not plain data: ${(err as Error).message}`;
    throw new ConfigError(`invalid directory options: ${why}`, [why]);
  }
  if (!validate(copy)) {
    const problems = describeErrors(validate.errors, 'directory');
    throw new ConfigError(`invalid directory options: ${problems.join('; ')}`, problems);
  }
  const o = copy as unknown as ResolvedDirectoryOptions;
  o.keyDir ??= o.dataDir;
  const problems: string[] = [];
  const { activeSeconds, offlineSeconds, retentionSeconds } = o.presence;
  if (offlineSeconds < activeSeconds)
    problems.push('directory/presence/offlineSeconds must be >= activeSeconds');
  // Forgetting a node is only safe once any registration it ever signed is outside the skew window: then a
  // replayed old registration is refused for its timestamp even though the last accepted `ts` is gone.
  if (retentionSeconds < offlineSeconds)
    problems.push('directory/presence/retentionSeconds must be >= offlineSeconds');
  if (retentionSeconds <= 2 * o.maxClockSkewSeconds) {
    problems.push('directory/presence/retentionSeconds must be more than twice maxClockSkewSeconds');
  }
  for (const cidr of o.outbound.allowedCidrs) {
    try {
      ipaddr.parseCIDR(cidr);
    } catch {
      problems.push(`directory/outbound/allowedCidrs: ${cidr} is not a CIDR range`);
    }
  }
  const { timeoutMs, retries, retryDelayMs } = o.delivery;
  const worstDelivery = (retries + 1) * timeoutMs + retryDelayMs * (2 ** retries - 1);
  if (worstDelivery >= o.limits.handlerTimeoutMs) {
    problems.push(
      `directory/delivery: worst case (${worstDelivery} ms) must stay under limits/handlerTimeoutMs (${o.limits.handlerTimeoutMs} ms)`,
    );
  }
  if (o.limits.headersTimeoutMs > o.limits.requestTimeoutMs) {
    // Node refuses such a server: the headers are part of the request.
    problems.push(
      `directory/limits: headersTimeoutMs (${o.limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${o.limits.requestTimeoutMs})`,
    );
  }
  if (problems.length > 0)
    throw new ConfigError(`invalid directory options: ${problems.join('; ')}`, problems);
  return o;
}
