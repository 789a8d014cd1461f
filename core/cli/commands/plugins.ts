import type { Command } from 'commander';
import type { PluginStatus } from '../../plugins/plugin-status.js';
import { nodeOptions, resolveApi, type NodeCommandOptions } from '../node-address.js';
import { ownerApi } from '../owner-api.js';
import { print } from '../output.js';

/** `openred plugins`: what a running node has loaded, with versions, states and the last reload error. */
export function register(program: Command): void {
  nodeOptions(
    program
      .command('plugins')
      .description("List a running node's plugins: version, state, last reload error"),
  ).action(async (opts: NodeCommandOptions) => {
    const data = await ownerApi<{ plugins: PluginStatus[]; invalid: Array<{ dir: string; error: string }> }>(
      await resolveApi(opts),
      'GET',
      '/api/node/plugins',
    );
    print(opts.json, data, () => {
      const rows = data.plugins.map(
        (p) =>
          `${p.name.padEnd(20)} ${(p.version ?? '-').padEnd(9)} ${p.state.padEnd(9)} ${p.lastError ? 'last error: ' + p.lastError : ''}`,
      );
      for (const i of data.invalid) rows.push(`${i.dir}: ${i.error}`);
      return [`${'NAME'.padEnd(20)} ${'VERSION'.padEnd(9)} ${'STATE'.padEnd(9)}`, ...rows].join('\n');
    });
  });
}
