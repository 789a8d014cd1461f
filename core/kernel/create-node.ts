import { join } from 'node:path';
import type { LoadedConfig } from '../config/load-config.js';
import type { CipherMethod, CipherVector } from '../crypto/ciphers/cipher-method.js';
import { checkConformance } from '../crypto/ciphers/conformance.js';
import { CipherRegistry } from '../crypto/ciphers/registry.js';
import { createCryptoEngine, type CryptoEngine } from '../crypto/engine.js';
import type { ScryptParams } from '../crypto/key-store.js';
import { ConfigError } from '../errors.js';
import type { CipherSink } from '../plugins/plugin-host.js';
import type { Clock } from './clock.js';
import { directoryServices, prepareDirectory } from './directory-services.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import { OpenRedNode } from './node.js';
import { createSessionLayer, type SessionLayer } from './session-services.js';
import { systemClock } from './clock.js';
import type { GrantLedger } from '../crypto/grant-ledger.js';

export interface CreateNodeOptions {
  clock?: Clock;
  logger?: Logger;
  /** Unlocks the node's key files; defaults to OPENRED_PASSPHRASE, else a generated node secret (0600). */
  passphrase?: string;
  /** Key-file scrypt cost (tests lower it; production keeps the default N = 2^15). */
  scrypt?: ScryptParams;
  /** See NodeOptions.allowAnonymousOwnerApi (default: OPENRED_ALLOW_ANONYMOUS_OWNER_API=1). */
  allowAnonymousOwnerApi?: boolean;
}

/**
 * The composition root: builds a node from a loaded config — its crypto engine (isolated agent or inline),
 * cipher registry, embedded directory and presence — ready to `start()`. Used by `openred start`, the
 * integration tests and the SDK testing kit.
 */
export function createNode(loaded: LoadedConfig, options: CreateNodeOptions = {}): OpenRedNode {
  const { config } = loaded;
  prepareDirectory(config);
  if (!config.directory.publicKey) {
    throw new ConfigError('invalid config: directory.publicKey is required to join a directory', [
      'directory.publicKey is required when directory.embedded is false',
    ]);
  }
  const log = options.logger ?? createLogger({ level: config.log.level });
  const registry = new CipherRegistry();
  const clock = options.clock ?? systemClock;
  // The engine records consumed grants through the session layer's ledger (the token store), so a replayed
  // handshake fails even across restarts; the layer needs the engine for handshakes: resolve the cycle lazily.
  const ref: { layer?: SessionLayer } = {};
  const ledger: GrantLedger = { consume: (id, exp) => ref.layer!.ledger.consume(id, exp) };
  const engine: CryptoEngine = createCryptoEngine({
    mode: config.crypto.isolation,
    keyDir: join(config.node.dataDir, 'keys'),
    passphrase: options.passphrase ?? process.env.OPENRED_PASSPHRASE,
    directoryPublicKey: config.directory.publicKey,
    clock,
    grantLedger: ledger,
    methods: config.crypto.methods,
    scrypt: options.scrypt,
    log: (level, msg) => log[level]({ component: 'crypto' }, msg),
  });
  const layer = createSessionLayer({ engine, registry, config, clock, log });
  ref.layer = layer;
  return new OpenRedNode({
    config,
    configFile: loaded.file,
    crypto: engine,
    ciphers: cipherSink(registry),
    peers: layer.peers,
    extraServices: [directoryServices, layer.services],
    clock,
    logger: log,
    allowAnonymousOwnerApi: options.allowAnonymousOwnerApi,
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
