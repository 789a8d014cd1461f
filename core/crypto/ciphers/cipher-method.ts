/**
 * A cipher method is an AEAD with a fixed key and nonce size (DESIGN.md section 6). Built-ins wrap node:crypto;
 * plugins register their own through the registry, which checks them before any session may use them.
 * `seal` returns ciphertext || 16-byte tag; `open` throws (any error) when authentication fails. Calls are
 * synchronous and their arguments are valid during the call only (the transport reuses its nonce buffers).
 */
export interface CipherMethod {
  /** Stable identifier negotiated between peers, e.g. 'chacha20-poly1305'. */
  readonly id: string;
  readonly keyLength: number;
  readonly nonceLength: number;
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer;
  open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Buffer;
  /**
   * Optional fast path for large bodies: the same result as `seal`, as [ciphertext, tag] without joining them
   * (joining copies the whole body once more). Must agree with `seal`; the conformance check verifies it.
   */
  sealDetached?(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): [Buffer, Buffer];
  /** Optional counterpart of `sealDetached`: `open` with the tag passed apart from the ciphertext. */
  openDetached?(
    key: Uint8Array,
    nonce: Uint8Array,
    ciphertext: Uint8Array,
    tag: Uint8Array,
    aad: Uint8Array,
  ): Buffer;
  /**
   * Optional fast path for small messages, where each buffer a call allocates costs about as much as the cipher:
   * writes ciphertext || tag into `out` from `offset` (plaintext.length + 16 bytes). The same bytes as `seal`.
   */
  sealInto?(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void;
  /**
   * Optional counterpart of `sealInto`: opens ciphertext || tag, decrypting where it lies when the implementation
   * can (the plaintext is then a view of `sealed`, whose bytes are overwritten). Throws when authentication fails,
   * before any byte is decrypted (the sealed bytes may then have been cleared).
   */
  openInPlace?(key: Uint8Array, nonce: Uint8Array, sealed: Buffer, aad: Uint8Array): Buffer;
}

/** A known-answer vector a method must reproduce before it is enabled (hex strings). */
export interface CipherVector {
  key: string;
  nonce: string;
  plaintext: string;
  aad: string;
  /** ciphertext || tag */
  ciphertext: string;
}

export const TAG_LENGTH = 16;
