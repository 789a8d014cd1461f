import type { CryptoEngine } from '../crypto/engine.js';

/**
 * What the kernel itself uses of the crypto engine: the node's identity, the isolation level it achieved
 * (reported in /health), its lifecycle, signing, and at-rest sub-keys for plugins. Handshakes and token
 * opening are the session layer's business (core/kernel/session-services.ts).
 */
export type NodeCrypto = Pick<
  CryptoEngine,
  'nodeId' | 'publicKeys' | 'isolation' | 'start' | 'stop' | 'sign' | 'deriveKey'
>;
