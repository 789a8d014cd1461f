import { defineConfig } from '@openred/core/config';

/**
 * The operator's file. Every setting has a default; see docs/operations.md for the full reference.
 * Environment overrides: OPENRED_PORT, OPENRED_API_PORT, OPENRED_DATA_DIR, OPENRED_DIRECTORY_URL,
 * OPENRED_DIRECTORY_KEY, OPENRED_LOG_LEVEL.
 */
export default defineConfig({
  node: { name: 'my-node', dataDir: '.data/node' },
  server: {
    p2p: { host: '127.0.0.1', port: 7700 },
    api: { host: '127.0.0.1', port: 7701 },
  },
  // A standalone community: this node also runs the directory. To join an existing community instead, set
  // `embedded: false`, `url` and the directory's `publicKey` (printed by `openred directory start`).
  directory: { embedded: { host: '127.0.0.1', port: 7600, allowLoopback: true } },
  modules: {
    authentication: { enabled: true },
    monitoring: { enabled: true },
    messaging: { enabled: true },
    'file-sharing': { enabled: true },
  },
});
