/**
 * An AEAD cipher method. `seal` returns ciphertext || tag; `open` throws on any authentication failure.
 * Both must be pure, synchronous functions of their inputs: the buffers passed in are only valid during the
 * call (the node reuses its nonce buffer for the next message), so copy anything you keep.
 */
export interface CipherMethod {
  /** Stable identifier negotiated between peers, e.g. `chacha20-poly1305`. */
  id: string;
  keyLength: number;
  nonceLength: number;
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** A known-answer vector (hex strings) the registry checks before enabling a method. */
export interface CipherVector {
  key: string;
  nonce: string;
  plaintext: string;
  aad: string;
  /** ciphertext || tag */
  ciphertext: string;
}

export interface CipherRegistrar {
  /**
   * Offers a cipher method to the node. It is enabled only after a conformance check: the supplied
   * known-answer vectors, a round trip, and rejection of a flipped bit in ciphertext, tag and AAD.
   * The method is removed when the plugin unloads; sessions using it re-key to another allowed method.
   */
  register(method: CipherMethod, options: { vectors: CipherVector[] }): void;
}
