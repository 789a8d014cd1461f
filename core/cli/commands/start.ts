import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load-config.js';
import { createNode } from '../../kernel/create-node.js';
import { print } from '../output.js';

/** `openred start`: runs a node until SIGINT/SIGTERM, then stops gracefully and exits 0. */
export function register(program: Command): void {
  program
    .command('start')
    .description('Run a node (and its embedded directory, if the config asks for one)')
    .option('-c, --config <file>', 'config file', 'openred.config.ts')
    .option('--json', 'print the node id and URLs as one JSON line once listening')
    .action(async (opts: { config: string; json?: boolean }) => {
      const loaded = await loadConfigFile(opts.config);
      const node = createNode(loaded);
      // Handlers first: a signal that arrives while the node is starting stops it cleanly too.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          node.log.info({ signal }, 'stopping');
          node.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await node.start();
      const info = {
        node_id: node.id,
        p2p: node.urls.p2p,
        api: node.urls.api,
        isolation: node.crypto.isolation,
      };
      const hint = opts.json ? [] : await ownerSetupHint(info.api);
      print(opts.json, info, () =>
        [
          `OpenRed node ${node.id}`,
          `  peers (p2p): ${info.p2p}`,
          `  owner (api): ${info.api}`,
          `  crypto isolation: ${info.isolation}`,
          ...hint,
          'Press Ctrl-C to stop.',
        ].join('\n'),
      );
      await stopped;
      process.exitCode = 0;
    });
}

/** When the authentication module runs and no owner is set up yet, says how to do it. */
async function ownerSetupHint(api: string | undefined): Promise<string[]> {
  if (!api) return [];
  try {
    const res = await fetch(`${api}/api/auth/status`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { configured?: boolean };
    if (res.ok && body.configured === false) {
      return [
        '',
        'No owner login yet: run `npx openred auth setup` (the owner API refuses anonymous calls).',
        '',
      ];
    }
  } catch {
    // the authentication module is disabled or not answering: nothing to suggest
  }
  return [];
}
