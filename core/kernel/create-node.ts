import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load-config.js';
import { generateNodeKeys, deriveNodeId } from '../crypto/identity.js';
import { rawPrivateKey, x25519PrivateFromBytes, ed25519PrivateFromBytes } from '../crypto/keys.js';
import { toB64u, fromB64u } from '../crypto/encoding.js';
import { signEd25519 } from '../crypto/signatures.js';
import { writeFileAtomicSync } from '../storage/atomic-file.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { OpenRedNode } from './node.js';
import { directoryServices, prepareDirectory } from './directory-services.js';
import type { CipherSink } from '../plugins/plugin-host.js';
import { CipherRegistry } from '../crypto/ciphers/registry.js';
import { checkConformance } from '../crypto/ciphers/conformance.js';
import type { CipherMethod, CipherVector } from '../crypto/ciphers/cipher-method.js';
import type { NodeCrypto } from './node-crypto.js';

/**
 * Builds a node from a loaded config: its crypto engine, its services, and (when configured) an embedded
 * directory. Used by `openred start`, the tests and the SDK testing kit.
 */
export function createNode(
  loaded: LoadedConfig,
  options: { clock?: Clock; logger?: Logger } = {},
): OpenRedNode {
  prepareDirectory(loaded.config);
  const crypto = inlineIdentity(loaded.config.node.dataDir);
  const registry = new CipherRegistry();
  return new OpenRedNode({
    config: loaded.config,
    configFile: loaded.file,
    crypto,
    ciphers: cipherSink(registry),
    extraServices: directoryServices,
    ...options,
  });
}

/** Plugin cipher methods go through the registry's conformance gate, owned by the plugin's name. */
export function cipherSink(
  registry: CipherRegistry,
): CipherSink & { check: (m: unknown, v: unknown[]) => void } {
  return {
    check: (method, vectors) => checkConformance(method as CipherMethod, vectors as CipherVector[]),
    register: (owner, entries) => {
      for (const e of entries) registry.register(e.method as CipherMethod, { owner, vectors: e.vectors });
    },
    unregister: (owner) => void registry.unregister(owner),
  };
}

/** Identity kept in this process; the isolated crypto agent replaces it when `crypto.isolation` is process. */
function inlineIdentity(dataDir: string): NodeCrypto {
  const file = join(dataDir, 'keys', 'identity.json');
  let x: Buffer, e: Buffer;
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { x25519: string; ed25519: string };
    x = fromB64u(stored.x25519, 32);
    e = fromB64u(stored.ed25519, 32);
  } else {
    const keys = generateNodeKeys();
    x = rawPrivateKey(keys.x25519Private);
    e = rawPrivateKey(keys.ed25519Private);
    writeFileAtomicSync(file, JSON.stringify({ x25519: toB64u(x), ed25519: toB64u(e) }), 0o600);
  }
  const xPriv = x25519PrivateFromBytes(x);
  const ePriv = ed25519PrivateFromBytes(e);
  const pub = (k: KeyObject): string =>
    toB64u(Buffer.from((k.export({ format: 'jwk' }) as { x: string }).x, 'base64url'));
  const publicKeys = { x25519: pub(createPublicKey(xPriv)), ed25519: pub(createPublicKey(ePriv)) };
  return {
    nodeId: deriveNodeId(publicKeys),
    publicKeys,
    isolation: 'inline',
    start: async () => undefined,
    stop: async () => undefined,
    sign: async (data) => signEd25519(ePriv, data),
  };
}
