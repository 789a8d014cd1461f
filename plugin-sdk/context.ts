import type { CipherRegistrar } from './ciphers.js';
import type { EventBus } from './events.js';
import type { PluginLogger } from './logger.js';
import type { MiddlewareRegistrar } from './middleware.js';
import type { PeerClient } from './peers.js';
import type { RouteRegistrar } from './routes.js';
import type { PluginStorage } from './storage.js';

export interface Clock {
  /** Milliseconds since the Unix epoch. Tests move it by hand. */
  now(): number;
}

export interface NodeInfo {
  /** This node's self-certifying id. */
  id: string;
  /** Its public keys (base64url, raw 32 bytes each). */
  publicKeys: { x25519: string; ed25519: string };
  /** Folder of the node's data. */
  dataDir: string;
}

/**
 * Everything a plugin can use, scoped to it: routes, middleware and ciphers it registers are removed when it
 * unloads; its storage is its own namespace; its event subscriptions end with it.
 */
export interface PluginContext<Config = unknown> {
  /** The plugin's name. */
  readonly name: string;
  /** Its configuration from `openred.config.ts`, validated against its schema with defaults applied. */
  readonly config: Config;
  /** Peer-facing routes under `/p2p`: session-authenticated and end-to-end encrypted. */
  readonly p2p: RouteRegistrar;
  /** Owner-facing routes under `/api`: owner-only unless declared `public`. */
  readonly api: RouteRegistrar;
  readonly middleware: MiddlewareRegistrar;
  readonly ciphers: CipherRegistrar;
  readonly storage: PluginStorage;
  readonly events: EventBus;
  readonly peers: PeerClient;
  readonly log: PluginLogger;
  readonly clock: Clock;
  readonly node: NodeInfo;
  /**
   * Services other plugins provide (e.g. the authentication module's owner guard), looked up by name.
   * Throws OR_ERR_SERVICE_UNAVAILABLE if nobody provides it.
   */
  service<T>(name: string): T;
  /** Offers a service to plugins that load after this one (list this plugin in their `dependsOn`). */
  provide<T>(name: string, value: T): void;
  /**
   * A stable 32-byte key for encrypting this plugin's data at rest, derived inside the crypto engine from
   * the node secret and scoped to the plugin and `label` (the node secret itself is never exposed).
   * @example
   * const key = await ctx.deriveKey('files-at-rest');
   */
  deriveKey(label: string): Promise<Buffer>;
  /** Registers cleanup to run when this plugin version is unloaded (after its in-flight requests end). */
  onTeardown(fn: () => void | Promise<void>): void;
}
