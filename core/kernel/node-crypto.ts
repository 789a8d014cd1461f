import type { NodePublicKeys } from '../crypto/identity.js';

/**
 * What the kernel needs from the crypto engine at this layer: the node's identity, the isolation level it
 * achieved, and a lifecycle. The full engine (handshakes, token opening) extends this.
 */
export interface NodeCrypto {
  readonly nodeId: string;
  readonly publicKeys: NodePublicKeys;
  /** 'bwrap' | 'netns+permission' | 'inline' — reported in /health. */
  readonly isolation: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  sign(data: Uint8Array): Promise<Uint8Array>;
}
