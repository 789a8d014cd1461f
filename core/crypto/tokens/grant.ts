/**
 * Grants and connection tokens (DESIGN.md section 4). For a connection A -> B the directory issues one grant and
 * two tokens: each token carries the grant and the same fresh 32-byte secret sealed (HPKE) to one of the two
 * nodes, and is signed by the directory. The tokens differ byte for byte and each is readable only by its
 * owner; they are linked because they hold the same secret, which becomes the Noise KKpsk0 pre-shared key.
 */

export type NoiseSuite = '25519_ChaChaPoly_SHA256' | '25519_AESGCM_SHA256';
export const NOISE_SUITES: readonly NoiseSuite[] = ['25519_ChaChaPoly_SHA256', '25519_AESGCM_SHA256'];

export type TokenRole = 'initiator' | 'responder';

export interface Grant {
  v: 1;
  /** 22-character base64url of 16 random bytes. */
  grant_id: string;
  initiator: string;
  responder: string;
  /** Unix seconds. */
  issued_at: number;
  /** Unix seconds; the grant is valid while now < expires_at. */
  expires_at: number;
  /** Epoch number at issuance: floor(issued_at / epochSeconds). */
  epoch: number;
  suite: NoiseSuite;
}

export interface ConnectionToken {
  v: 1;
  grant: Grant;
  role: TokenRole;
  /** HPKE encapsulated key, base64url (32 bytes). */
  enc: string;
  /** HPKE ciphertext of the 32-byte psk, aad = canonicalBytes(grant), base64url (48 bytes). */
  ct: string;
  /** Directory Ed25519 signature over canonicalBytes({v, grant, role, enc, ct}), base64url (64 bytes). */
  sig: string;
}

/** HPKE `info` for a token: binds the secret to the role it was sealed for. */
export function tokenInfo(role: TokenRole): Buffer {
  return Buffer.from(`openred/token/v1/${role}`, 'utf8');
}

/** What the directory signs: every field of the token but the signature. */
export function signedTokenBody(t: Omit<ConnectionToken, 'sig'>): Omit<ConnectionToken, 'sig'> {
  return { v: t.v, grant: t.grant, role: t.role, enc: t.enc, ct: t.ct };
}

export const PSK_LENGTH = 32;
