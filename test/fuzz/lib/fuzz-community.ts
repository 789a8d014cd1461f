/**
 * The community the node-side fuzz suites attack: a directory and two nodes running every bundled plugin
 * (messaging, file sharing, authentication with WebAuthn, monitoring), with node A holding an established
 * session to node B. Limits that would only slow the fuzzer down are raised (per-source rate of the
 * unauthenticated routes) or lowered (body size, so oversized bodies cost 64 KiB, not 1 MiB); nothing is
 * turned off.
 */
import { join } from 'node:path';
import { startCommunity, type Community } from '../../helpers/community.js';
import { repoRoot } from '../../helpers/node-harness.js';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import type { Surface } from '../../../core/plugins/route-entry.js';
import type { Schema } from './schema-arbitrary.js';

export const FUZZ_MAX_BODY = 64 * 1024;

export interface FuzzCommunity {
  community: Community;
  a: OpenRedNode;
  b: OpenRedNode;
  close(): Promise<void>;
}

export async function startFuzzCommunity(): Promise<FuzzCommunity> {
  const community = await startCommunity({
    nodes: 2,
    directory: {
      rateLimits: {
        perAddress: { perSecond: 1e9, burst: 1e9 },
        perNode: { perSecond: 1e9, burst: 1e9 },
        connectionsPerNode: { perSecond: 1e9, burst: 1e9 },
      },
    },
    node: {
      server: {
        p2p: { host: '127.0.0.1', port: 0 },
        api: { host: '127.0.0.1', port: 0 },
        limits: { maxBodyBytes: FUZZ_MAX_BODY, unauthenticatedPerSecond: 1e9, unauthenticatedBurst: 1e9 },
      },
      plugins: { dirs: [join(repoRoot, 'plugins')], packages: false, hotReload: false },
      modules: {
        authentication: { scryptLog2N: 10, webauthn: { enabled: true } },
        messaging: { enabled: true },
        'file-sharing': { enabled: true },
        monitoring: { enabled: true },
      },
    },
  });
  const [a, b] = community.nodes as [OpenRedNode, OpenRedNode];
  await a.peers.connect(b.id);
  return { community, a, b, close: () => community.close() };
}

export interface PluginRoute {
  plugin: string;
  surface: Surface;
  method: string;
  /** Surface-absolute, e.g. `/api/messages/:id`. */
  path: string;
  params?: Schema;
  query?: Schema;
  body?: Schema;
  raw: boolean;
}

/** Every route the node's plugins registered, read from the live route table. */
export function pluginRoutes(node: OpenRedNode, surface: Surface): PluginRoute[] {
  return node.dispatcher.table.generations.flatMap((g) =>
    g.routes
      .filter((r) => r.surface === surface)
      .map((r) => ({
        plugin: r.plugin,
        surface: r.surface,
        method: r.method.toUpperCase(),
        path: `/${surface}${r.path}`,
        params: r.options.params as Schema | undefined,
        query: r.options.query as Schema | undefined,
        body: r.options.body as Schema | undefined,
        raw: r.options.raw === true,
      })),
  );
}
