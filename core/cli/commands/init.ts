import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load-config.js';
import { loadOrCreateDirectoryKey } from '../../crypto/directory-key.js';
import { keyFingerprint } from '../../crypto/identity.js';
import { loadOrCreateNodeKeys } from '../../crypto/key-store.js';
import { print } from '../output.js';

/**
 * `openred init`: creates (or shows) the node's identity — X25519 and Ed25519 key pairs encrypted at rest
 * (scrypt from OPENRED_PASSPHRASE, else a generated node secret, both 0600) — and prints the node id and key
 * fingerprints. With an embedded directory in the config it also prints the directory key peers must pin.
 */
export function register(program: Command): void {
  program
    .command('init')
    .description("Create the node's keys (if missing) and print its id and fingerprints")
    .option('-c, --config <file>', 'config file (for the data folder)', 'openred.config.ts')
    .option('-d, --dir <dir>', 'key folder (default: <node.dataDir>/keys)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { config: string; dir?: string; json?: boolean }) => {
      const config = existsSync(opts.config) ? (await loadConfigFile(opts.config)).config : undefined;
      const dataDir = config?.node.dataDir ?? resolve('.data/node');
      const dir = opts.dir ? resolve(opts.dir) : join(dataDir, 'keys');
      const created = !existsSync(join(dir, 'node-keys.json'));
      const unlocked = await loadOrCreateNodeKeys({ dir, passphrase: process.env.OPENRED_PASSPHRASE });
      unlocked.root.fill(0);
      const { publicKeys } = unlocked.keys;
      const directory =
        config?.directory.embedded && !opts.dir
          ? loadOrCreateDirectoryKey(join(dataDir, 'directory'))
          : undefined;
      const data = {
        node_id: unlocked.nodeId,
        created,
        key_dir: dir,
        keys: publicKeys,
        fingerprints: {
          x25519: keyFingerprint(publicKeys.x25519),
          ed25519: keyFingerprint(publicKeys.ed25519),
        },
        directory: directory ? { public_key: directory.publicKey, fingerprint: directory.fingerprint } : null,
      };
      print(opts.json, data, () =>
        [
          `${created ? 'Created' : 'Found'} node keys in ${dir}`,
          `node id             ${data.node_id}`,
          `x25519 fingerprint  ${data.fingerprints.x25519}`,
          `ed25519 fingerprint ${data.fingerprints.ed25519}`,
          ...(directory
            ? [
                '',
                'Embedded directory key (members pin it as directory.publicKey):',
                `  ${directory.publicKey}`,
                `  fingerprint ${directory.fingerprint}`,
              ]
            : []),
        ].join('\n'),
      );
    });
}
