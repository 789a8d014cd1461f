import { defineConfig } from '@openred/core/config';

/**
 * A member node of a community: it joins the community's directory, runs the messaging and file-sharing
 * modules with the owner login, and one custom plugin of this community (`plugins/welcome`).
 *
 * Fill `directory.url` and `directory.publicKey` with what the directory operator published (see README).
 */
export default defineConfig({
  node: { name: 'member', dataDir: '.data/member' },
  server: {
    // Peers reach this address; put it behind your router's port forward or a reverse proxy.
    p2p: { host: '0.0.0.0', port: 7700 },
    // The owner API stays on loopback.
    api: { host: '127.0.0.1', port: 7701 },
  },
  directory: {
    embedded: false,
    url: process.env.OPENRED_DIRECTORY_URL ?? 'http://127.0.0.1:7600',
    publicKey: process.env.OPENRED_DIRECTORY_KEY,
  },
  plugins: {
    // The community's own plugins first, then the modules shipped with OpenRed.
    dirs: ['plugins', '../../plugins'],
  },
  modules: {
    authentication: { enabled: true },
    messaging: { enabled: true },
    'file-sharing': { enabled: true },
    monitoring: { enabled: false },
    welcome: { message: 'Welcome to the Riverside allotment community!', keep: 50 },
  },
});
