import type { Command } from 'commander';
import { nodeOptions, resolveApi, type NodeCommandOptions } from '../node-address.js';
import { ownerApi } from '../owner-api.js';
import { print } from '../output.js';

interface Status {
  node_id: string;
  version: string;
  urls: { p2p?: string; api?: string };
  crypto: { isolation: string; chacha20_poly1305?: string };
  directory: {
    url: string | null;
    embedded: boolean;
    registered: boolean;
    last_error: { message: string } | null;
  };
  uptime_ms: number;
  plugins: { active: number; failed: string[] };
}

/** `openred status`: identity, addresses, crypto isolation, directory registration, plugins. */
export function register(program: Command): void {
  nodeOptions(program.command('status').description("Show a running node's identity and health")).action(
    async (opts: NodeCommandOptions) => {
      const s = await ownerApi<Status>(await resolveApi(opts), 'GET', '/api/node/status');
      print(opts.json, s, () =>
        [
          `node       ${s.node_id} (OpenRed ${s.version}, up ${Math.round(s.uptime_ms / 1000)} s)`,
          `peers      ${s.urls.p2p ?? '-'}`,
          `owner api  ${s.urls.api ?? '-'}`,
          `crypto     isolation: ${s.crypto.isolation}${s.crypto.chacha20_poly1305 ? `, chacha20-poly1305 on ${s.crypto.chacha20_poly1305}` : ''}`,
          `directory  ${s.directory.url ?? 'none'}${s.directory.embedded ? ' (embedded)' : ''}: ${
            s.directory.registered
              ? 'registered'
              : `not registered${s.directory.last_error ? ' — ' + s.directory.last_error.message : ''}`
          }`,
          `plugins    ${s.plugins.active} active${s.plugins.failed.length ? `, failed: ${s.plugins.failed.join(', ')}` : ''}`,
        ].join('\n'),
      );
    },
  );
}
