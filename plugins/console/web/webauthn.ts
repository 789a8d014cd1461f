/**
 * WebAuthn in the browser: the node answers `navigator.credentials.create()`/`get()` options as JSON
 * (base64url for binary fields, as @simplewebauthn/server makes them); this turns them into the browser's
 * types and the authenticator's answer back into the JSON the node verifies.
 */
interface RequestOptionsJSON {
  challenge: string;
  timeout?: number;
  rpId?: string;
  allowCredentials?: DescriptorJSON[];
  userVerification?: UserVerificationRequirement;
}

interface CreationOptionsJSON {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  pubKeyCredParams: PublicKeyCredentialParameters[];
  timeout?: number;
  excludeCredentials?: DescriptorJSON[];
  authenticatorSelection?: AuthenticatorSelectionCriteria;
  attestation?: AttestationConveyancePreference;
}

function assertSupported(): void {
  if (!('credentials' in navigator) || typeof PublicKeyCredential === 'undefined') {
    throw new Error('this browser does not support security keys');
  }
}

/** Registers a new authenticator: the answer to post to `/api/auth/webauthn/register` as `response`. */
export async function webauthnRegistration(options: Record<string, unknown>): Promise<unknown> {
  assertSupported();
  const o = options as unknown as CreationOptionsJSON;
  const credential = (await navigator.credentials.create({
    publicKey: {
      challenge: fromBase64url(o.challenge),
      rp: o.rp,
      user: { ...o.user, id: fromBase64url(o.user.id) },
      pubKeyCredParams: o.pubKeyCredParams,
      timeout: o.timeout,
      attestation: o.attestation,
      authenticatorSelection: o.authenticatorSelection,
      excludeCredentials: o.excludeCredentials?.map(descriptor),
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error('no security key answered');
  const r = credential.response as AuthenticatorAttestationResponse;
  return {
    ...credentialFields(credential),
    response: {
      clientDataJSON: toBase64url(r.clientDataJSON),
      attestationObject: toBase64url(r.attestationObject),
      transports: r.getTransports?.() ?? [],
    },
  };
}

/** Signs a login challenge: the value to post to `/api/auth/login` as `webauthn`. */
export async function webauthnAssertion(options: Record<string, unknown>): Promise<unknown> {
  assertSupported();
  const o = options as unknown as RequestOptionsJSON;
  const credential = (await navigator.credentials.get({
    publicKey: {
      challenge: fromBase64url(o.challenge),
      timeout: o.timeout,
      rpId: o.rpId,
      userVerification: o.userVerification,
      allowCredentials: o.allowCredentials?.map(descriptor),
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error('no security key answered');
  const r = credential.response as AuthenticatorAssertionResponse;
  return {
    ...credentialFields(credential),
    response: {
      clientDataJSON: toBase64url(r.clientDataJSON),
      authenticatorData: toBase64url(r.authenticatorData),
      signature: toBase64url(r.signature),
      userHandle: r.userHandle ? toBase64url(r.userHandle) : undefined,
    },
  };
}

type DescriptorJSON = { id: string; type: 'public-key'; transports?: string[] };

/** A credential id the node named (base64url) as the browser's descriptor. */
function descriptor(c: DescriptorJSON): PublicKeyCredentialDescriptor {
  return {
    id: fromBase64url(c.id),
    type: c.type,
    transports: c.transports as AuthenticatorTransport[] | undefined,
  };
}

/** The fields every authenticator answer carries, as the node's JSON. */
function credentialFields(credential: PublicKeyCredential) {
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
  };
}

function fromBase64url(text: string): ArrayBuffer {
  const b64 = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function toBase64url(buffer: ArrayBuffer): string {
  let bin = '';
  for (const b of new Uint8Array(buffer)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
