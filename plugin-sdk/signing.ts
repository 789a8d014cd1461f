import type { PluginContext } from './context.js';

/** Name of the kernel service that signs with the node key for plugins (see {@link NodeSigner}). */
export const NODE_SIGNER_SERVICE = 'kernel.signer';

/**
 * Signatures with the node's Ed25519 key, made inside the crypto engine (the key never reaches plugins).
 * A signature covers `"openred/plugin-signature/v1" 0x00 purpose 0x00 data`, so it can never pass for a
 * signature of another protocol (directory requests, tokens) nor of another purpose.
 */
export interface NodeSigner {
  /**
   * Signs `data` for `purpose` (lowercase letters, digits and `. _ / -`, up to 64, e.g.
   * `authentication/challenge`). Resolves to the 64-byte signature.
   */
  sign(purpose: string, data: Uint8Array): Promise<Buffer>;
  /**
   * Checks a signature `sign` made on any node, given that node's Ed25519 public key (base64url of the raw
   * 32 bytes). Never throws: malformed keys or signatures are simply not valid.
   */
  verify(publicKey: string, purpose: string, data: Uint8Array, signature: Uint8Array): boolean;
  /**
   * The self-certifying id of a node's public keys (an id is a hash of both keys, which every node checks),
   * or `undefined` when the keys are malformed.
   */
  idOf(keys: { x25519: string; ed25519: string }): string | undefined;
}

/**
 * The node signer, from the kernel.
 *
 * @example
 * const signer = nodeSigner(ctx);
 * const sig = await signer.sign('monitoring/audit', digest);
 * signer.verify(ctx.node.publicKeys.ed25519, 'monitoring/audit', digest, sig); // true
 */
export function nodeSigner(ctx: Pick<PluginContext, 'service'>): NodeSigner {
  return ctx.service<NodeSigner>(NODE_SIGNER_SERVICE);
}
