/**
 * ChaCha20-Poly1305 (RFC 8439): the default method, constant-time without AES hardware. On libsodium when the
 * optional `sodium-native` package loads (a quarter of the cost per small message, see sodium-aead.ts), else on
 * node:crypto; both produce the same bytes.
 */
import { nodeAead } from './node-aead.js';
import { loadSodium, sodiumChacha20Poly1305 } from './sodium-aead.js';

/** The node:crypto implementation, always available (and the reference the libsodium one is tested against). */
export const nodeChacha20Poly1305 = nodeAead('chacha20-poly1305', 'chacha20-poly1305');

const sodium = loadSodium();

/** Which library implements the built-in ChaCha20-Poly1305 in this process (reported by `openred status`). */
export const chachaImplementation: 'libsodium' | 'node:crypto' = sodium ? 'libsodium' : 'node:crypto';

export const chacha20Poly1305 = sodium ? sodiumChacha20Poly1305(sodium) : nodeChacha20Poly1305;
