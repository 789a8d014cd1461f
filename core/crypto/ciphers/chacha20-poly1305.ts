/** ChaCha20-Poly1305 (RFC 8439) on node:crypto: the default method, constant-time without AES hardware. */
import { nodeAead } from './node-aead.js';

export const chacha20Poly1305 = nodeAead('chacha20-poly1305', 'chacha20-poly1305');
