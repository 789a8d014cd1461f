/**
 * The shape the built-in AEADs share (32-byte key, 96-bit nonce, 16-byte tag): an implementation supplies its
 * detached seal and open, and gets the size checks, the refusal codes and the joined forms from here.
 */
import { CryptoError } from '../../errors.js';
import { TAG_LENGTH, type CipherMethod } from './cipher-method.js';

export interface DetachedAead {
  /** ciphertext and tag; sizes already checked. */
  sealDetached(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): [Buffer, Buffer];
  /** The plaintext, or any error when authentication fails; sizes already checked. */
  openDetached(
    key: Uint8Array,
    nonce: Uint8Array,
    body: Uint8Array,
    tag: Uint8Array,
    aad: Uint8Array,
  ): Buffer;
  /** ciphertext || tag in one buffer, when the implementation writes it so (else the two parts are joined). */
  seal?(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer;
  /** CipherMethod.sealInto; sizes already checked (`out` has room). */
  sealInto?: CipherMethod['sealInto'];
  /** CipherMethod.openInPlace: any error when authentication fails; `sealed` holds at least a tag. */
  openInPlace?: CipherMethod['openInPlace'];
}

function checkSizes(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new CryptoError('OR_ERR_BAD_KEY', 'AEAD key must be 32 bytes', 500);
  if (nonce.length !== 12) throw new CryptoError('OR_ERR_BAD_NONCE', 'AEAD nonce must be 12 bytes', 500);
}

export function aeadMethod(id: string, impl: DetachedAead): CipherMethod {
  function sealDetached(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) {
    checkSizes(key, nonce);
    return impl.sealDetached(key, nonce, plaintext, aad);
  }

  function openDetached(
    key: Uint8Array,
    nonce: Uint8Array,
    body: Uint8Array,
    tag: Uint8Array,
    aad: Uint8Array,
  ): Buffer {
    checkSizes(key, nonce);
    if (tag.length !== TAG_LENGTH) throw new CryptoError('OR_ERR_BAD_TAG', 'authentication failed');
    try {
      return impl.openDetached(key, nonce, body, tag, aad);
    } catch {
      throw new CryptoError('OR_ERR_BAD_TAG', 'authentication failed');
    }
  }

  const whole = impl.seal;
  const into = impl.sealInto;
  const inPlace = impl.openInPlace;
  return Object.freeze({
    id,
    keyLength: 32,
    nonceLength: 12,
    sealDetached,
    openDetached,
    seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
      if (!whole) return Buffer.concat(sealDetached(key, nonce, plaintext, aad));
      checkSizes(key, nonce);
      return whole(key, nonce, plaintext, aad);
    },
    open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Buffer {
      if (ciphertext.length < TAG_LENGTH) throw new CryptoError('OR_ERR_BAD_TAG', 'ciphertext too short');
      const cut = ciphertext.length - TAG_LENGTH;
      return openDetached(key, nonce, ciphertext.subarray(0, cut), ciphertext.subarray(cut), aad);
    },
    ...(into && {
      sealInto(key, nonce, plaintext, aad, out, offset) {
        checkSizes(key, nonce);
        if (offset < 0 || out.length - offset < plaintext.length + TAG_LENGTH) {
          throw new CryptoError('OR_ERR_BAD_LENGTH', 'no room for the sealed message', 500);
        }
        into(key, nonce, plaintext, aad, out, offset);
      },
    }),
    ...(inPlace && {
      openInPlace(key, nonce, sealed, aad) {
        checkSizes(key, nonce);
        if (sealed.length < TAG_LENGTH) throw new CryptoError('OR_ERR_BAD_TAG', 'ciphertext too short');
        try {
          return inPlace(key, nonce, sealed, aad);
        } catch {
          throw new CryptoError('OR_ERR_BAD_TAG', 'authentication failed');
        }
      },
    }),
  } satisfies CipherMethod);
}

/**
 * `m.sealInto` when the method has it, else its seal copied into place: callers write small messages into
 * one buffer whichever method an epoch uses.
 */
export function sealInto(
  m: CipherMethod,
  ...[key, nonce, plaintext, aad, out, offset]: Parameters<NonNullable<CipherMethod['sealInto']>>
): void {
  if (m.sealInto) return m.sealInto(key, nonce, plaintext, aad, out, offset);
  if (m.sealDetached) {
    const [body, tag] = m.sealDetached(key, nonce, plaintext, aad);
    out.set(body, offset);
    out.set(tag, offset + body.length);
    return;
  }
  out.set(m.seal(key, nonce, plaintext, aad), offset);
}

/** `m.openInPlace` when the method has it, else its open (the plaintext is then a fresh buffer). */
export function openInPlace(
  m: CipherMethod,
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Buffer,
  aad: Uint8Array,
): Buffer {
  return m.openInPlace ? m.openInPlace(key, nonce, sealed, aad) : m.open(key, nonce, sealed, aad);
}
