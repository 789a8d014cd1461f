/**
 * @openred/plugin-sdk — what a plugin sees of an OpenRed node.
 *
 * A plugin is a folder under `plugins/` (or an installed `openred-plugin-*` package) whose entry exports
 * `definePlugin({...})` as default. See docs/plugin-guide.md.
 */
export { definePlugin, isPluginDefinition } from './define-plugin.js';
export type { PluginDefinition, Teardown } from './define-plugin.js';
export type { PluginContext, NodeInfo, Clock } from './context.js';
export type {
  RouteRegistrar,
  RouteOptions,
  RouteRequest,
  RouteHandler,
  HttpMethod,
  Schema,
  Infer,
} from './routes.js';
export type { Middleware, MiddlewareOptions, MiddlewareRegistrar } from './middleware.js';
export type { CipherMethod, CipherVector, CipherRegistrar } from './ciphers.js';
export type { EventBus, EventHandler } from './events.js';
export type { PluginStorage, Collection } from './storage.js';
export type { PeerClient, PeerRequestOptions, PeerResponse, PeerSessionInfo } from './peers.js';
export { sessionOf } from './peers.js';
export { preSealed, isPreSealed } from './pre-sealed.js';
export type { PreSealedBytes, PreSealedOptions } from './pre-sealed.js';
export { OWNER_GUARD_SERVICE, PEER_PROOF_SERVICE, requireOwner, ownerOf } from './auth.js';
export type { OwnerGuard, OwnerSession, OwnerCredentials, PeerProof, PeerProofService } from './auth.js';
export { NODE_SIGNER_SERVICE, nodeSigner } from './signing.js';
export type { NodeSigner } from './signing.js';
export { AUDIT_EVENT, recordAudit } from './audit.js';
export type { AuditRecord } from './audit.js';
export {
  KERNEL_STATUS_SERVICE,
  KERNEL_PLUGINS_SERVICE,
  KERNEL_REQUESTS_SERVICE,
  KERNEL_HEALTH_SERVICE,
  METRICS_ENDPOINT_SERVICE,
} from './observability.js';
export type {
  MetricsEndpoint,
  PluginStatusInfo,
  RequestObservation,
  RequestObserver,
  RequestObservers,
  KernelHealth,
} from './observability.js';
export type { PluginLogger } from './logger.js';
export { errors, PluginHttpError } from './errors.js';
