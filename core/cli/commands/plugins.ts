import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load-config.js';
import type { PluginStatus } from '../../plugins/plugin-status.js';
import { ownerApi } from '../owner-api.js';
import { print } from '../output.js';

/** `openred plugins`: what a running node has loaded, with versions, states and the last reload error. */
export function register(program: Command): void {
  program
    .command('plugins')
    .description("List a running node's plugins: version, state, last reload error")
    .option('-c, --config <file>', 'config file of the node', 'openred.config.ts')
    .option('--api <url>', 'owner API URL of the node (default: from the config)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { config: string; api?: string; json?: boolean }) => {
      const api = opts.api ?? (await apiUrlFromConfig(opts.config));
      const data = await ownerApi<{
        plugins: PluginStatus[];
        invalid: Array<{ dir: string; error: string }>;
      }>(api, 'GET', '/api/node/plugins');
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

async function apiUrlFromConfig(file: string): Promise<string> {
  const { config } = await loadConfigFile(file);
  const host = config.server.api.host === '0.0.0.0' ? '127.0.0.1' : config.server.api.host;
  return `http://${host}:${config.server.api.port}`;
}
