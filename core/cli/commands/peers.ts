import type { Command } from 'commander';
import type { PeerSessionInfo } from '@openred/plugin-sdk';
import { nodeOptions, resolveApi, type NodeCommandOptions } from '../node-address.js';
import { ownerApi } from '../owner-api.js';
import { print } from '../output.js';

const row = (s: PeerSessionInfo): string =>
  `${s.peer}  ${s.role.padEnd(9)}  ${s.method.padEnd(30)}  epoch ${s.epoch}  since ${new Date(s.establishedAt).toISOString()}`;

/** `openred peers` and `openred connect <nodeId>`. */
export function register(program: Command): void {
  nodeOptions(
    program.command('peers').description('List the sessions a running node holds with its peers'),
  ).action(async (opts: NodeCommandOptions) => {
    const data = await ownerApi<{ sessions: PeerSessionInfo[] }>(await resolveApi(opts), 'GET', '/api/peers');
    print(opts.json, data, () =>
      data.sessions.length === 0 ? 'no sessions' : data.sessions.map(row).join('\n'),
    );
  });
  nodeOptions(
    program
      .command('connect')
      .argument('<nodeId>', 'the peer to connect to')
      .description('Open an end-to-end encrypted session with a peer (through the directory, then directly)'),
  ).action(async (nodeId: string, opts: NodeCommandOptions) => {
    const s = await ownerApi<PeerSessionInfo>(await resolveApi(opts), 'POST', '/api/peers/connect', {
      node_id: nodeId,
    });
    print(opts.json, s, () => `connected: ${row(s)}`);
  });
}
