/** AES-256-GCM (NIST SP 800-38D) on node:crypto, 96-bit nonces only: the fast path on CPUs with AES-NI. */
import { nodeAead } from './node-aead.js';

export const aes256Gcm = nodeAead('aes-256-gcm', 'aes-256-gcm');
