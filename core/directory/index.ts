/**
 * The directory service (DESIGN.md section 3): who is out there, and first contact between nodes.
 * Service side: startDirectory / DirectoryService and the stores. Node side: DirectoryClient and
 * PresenceReporter. Wire format: protocol.ts; signing scheme: signing.ts; docs/directory.md explains both.
 */
export { startDirectory, type DirectoryRuntime, type RunningDirectory } from './start.js';
export {
  directoryOptionsSchema,
  resolveDirectoryOptions,
  type DirectoryOptions,
  type ResolvedDirectoryOptions,
  type DirectoryStoreKind,
  type PresenceOptions,
  type OutboundOptions,
  type RateLimitOptions,
  type DeliveryOptions,
  type DirectoryLimits,
} from './options.js';
export { DirectoryService, type DirectoryServiceDeps } from './service.js';
export { DirectoryClient, type DirectoryClientOptions, type ListFilter } from './client.js';
export {
  PresenceReporter,
  type PresenceReporterOptions,
  type PresenceState,
  type Scheduler,
} from './presence-reporter.js';
export { OutboundPolicy, systemResolver, type AddressClass, type Resolver } from './outbound-policy.js';
export { Presence, type PresenceTtls } from './presence.js';
export { TokenDelivery, tokenReceiveUrl, TOKEN_RECEIVE_PATH, type DeliverySettings } from './delivery.js';
export { DirectoryErrorCode } from './errors.js';
export {
  DISCOVER_PATH,
  discoverPayload,
  signPayload,
  verifyPayload,
  withoutSig,
  type SignFn,
} from './signing.js';
export * from './protocol.js';
export {
  openStore,
  LowdbStore,
  RedisStore,
  MAX_SCAN_PER_PAGE,
  type DirectoryStore,
  type NodeRecord,
  type NodeFilter,
  type NodeListPage,
  type NodeCounts,
  type SeenRange,
} from './store/index.js';
