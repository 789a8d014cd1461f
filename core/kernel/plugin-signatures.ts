import { ValidationError } from '../errors.js';
import { verifyEd25519 } from '../crypto/signatures.js';
import { toB64u } from '../crypto/encoding.js';

const DOMAIN = Buffer.from('openred/plugin-signature/v1\0', 'utf8');
const PURPOSE = /^[a-z0-9][a-z0-9._/-]{0,63}$/;

/**
 * What `ctx.node.sign(purpose, data)` really signs: a fixed domain, the purpose, then the data. Everything
 * else the node key signs is canonical JSON (starts with `{`), so a plugin can never obtain a signature that
 * passes for a directory request, and one purpose's signatures never verify under another.
 */
export function pluginSigningInput(purpose: string, data: Uint8Array): Buffer {
  if (typeof purpose !== 'string' || !PURPOSE.test(purpose)) {
    throw new ValidationError(`invalid signature purpose ${JSON.stringify(purpose)}`);
  }
  if (!(data instanceof Uint8Array)) throw new ValidationError('data to sign must be bytes');
  return Buffer.concat([DOMAIN, Buffer.from(purpose, 'utf8'), Buffer.from([0]), data]);
}

/** Verifies a `ctx.node.sign` signature; false for anything malformed. */
export function verifyPluginSignature(
  publicKey: string,
  purpose: string,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  let input: Buffer;
  try {
    input = pluginSigningInput(purpose, data);
  } catch {
    return false;
  }
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  return verifyEd25519(publicKey, input, toB64u(signature));
}
