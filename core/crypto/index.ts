/**
 * @openred/core crypto: the public surface. Everything else under core/crypto is internal.
 * See docs/protocol.md for the wire formats and the security properties these pieces provide.
 */
export { canonicalJson, canonicalBytes } from './canonical-json.js';
export { toB64u, fromB64u, isB64u, toBase32 } from './encoding.js';
export {
  type NodePublicKeys,
  type NodeKeyPair,
  generateNodeKeys,
  deriveNodeId,
  isNodeId,
  isNodePublicKeys,
  assertNodeIdMatchesKeys,
  ed25519PublicKeyFromRaw,
  x25519PublicKeyFromRaw,
  keyFingerprint,
} from './identity.js';
export { signEd25519, verifyEd25519, signCanonical, verifyCanonical } from './signatures.js';
export { loadOrCreateDirectoryKey, type DirectoryKey } from './directory-key.js';
export {
  type Grant,
  type ConnectionToken,
  type NoiseSuite,
  type TokenRole,
  NOISE_SUITES,
} from './tokens/grant.js';
export { issueTokenPair, type IssueTokenPairOptions, type TokenPair } from './tokens/issue.js';
export { verifyToken, openToken, assertGrantCurrent, type VerifyTokenOptions } from './tokens/verify.js';
export { type CipherMethod, type CipherVector } from './ciphers/cipher-method.js';
export { CipherRegistry, type CipherChange, type CipherChangeListener } from './ciphers/registry.js';
export { checkConformance } from './ciphers/conformance.js';
export { chacha20Poly1305 } from './ciphers/chacha20-poly1305.js';
export { aes256Gcm } from './ciphers/aes-256-gcm.js';
export {
  epochOf,
  epochStartMs,
  selectMethod,
  PolicyRegistry,
  BUILTIN_POLICIES,
  DEFAULT_EPOCH_SECONDS,
  type MethodPolicy,
  type MethodSelectionInput,
} from './epochs.js';
export { type SessionKeys } from './handshake.js';
export { type GrantLedger, MemoryGrantLedger } from './grant-ledger.js';
export { TransportSession, type TransportOptions, type RawEnvelope } from './transport/transport-session.js';
export { type Envelope } from './transport/envelope.js';
export { DEFAULT_SCRYPT, type ScryptParams } from './key-store.js';
export {
  createCryptoEngine,
  type CryptoEngine,
  type CryptoEngineOptions,
  type HandshakeCallOptions,
  type IsolationLevel,
  type IsolationRequest,
} from './engine.js';
