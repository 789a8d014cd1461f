import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile, resolveConfig } from '../../config/load-config.js';
import type { ModuleConfig, OpenRedUserConfig } from '../../config/types.js';
import { startDirectory, type RunningDirectory } from '../../directory/start.js';
import { createNode } from '../../kernel/create-node.js';
import { createLogger } from '../../kernel/logger.js';
import type { OpenRedNode } from '../../kernel/node.js';
import { print } from '../output.js';

interface DevOptions {
  nodes: string;
  port: string;
  plugins: string;
  data: string;
  config: string;
  log: string;
  json?: boolean;
}

/**
 * `openred dev`: a local community in one process — a directory and N nodes on 127.0.0.1, each with its own
 * data folder under `.data/dev/`, all hot-reloading the project's `plugins/` folder. Nodes keep their
 * identity across runs (the data folders stay). The owner API is open without login: a development
 * setting, never for a node others can reach.
 */
export function register(program: Command): void {
  program
    .command('dev')
    .description('Run a local community (directory + N nodes) that hot-reloads plugins/')
    .option('-n, --nodes <count>', 'number of nodes', '3')
    .option(
      '-p, --port <port>',
      'first port: directory on it, node i on port+2i-1 (p2p) and port+2i (api); 0 = any',
      '7800',
    )
    .option('--plugins <dir>', 'plugin folder the nodes watch', 'plugins')
    .option('--data <dir>', 'data folder (one subfolder per node)', '.data/dev')
    .option(
      '-c, --config <file>',
      'take `modules` and `crypto.methods` from this config when it exists',
      'openred.config.ts',
    )
    .option('--log <level>', 'log level of the nodes', 'warn')
    .option('--json', 'print the community as one JSON line once listening')
    .action(async (opts: DevOptions) => {
      const count = Number(opts.nodes);
      const base = Number(opts.port);
      if (!Number.isInteger(count) || count < 1 || count > 20) throw new Error('--nodes must be 1..20');
      if (!Number.isInteger(base) || base < 0 || base + 2 * count > 65535)
        throw new Error('--port is out of range');
      const port = (offset: number): number => (base === 0 ? 0 : base + offset);
      const pluginsDir = resolve(opts.plugins);
      const dataRoot = resolve(opts.data);
      await mkdir(pluginsDir, { recursive: true });
      let modules: Record<string, ModuleConfig> = {};
      let methods: string[] | undefined;
      if (existsSync(opts.config)) {
        const { config } = await loadConfigFile(opts.config);
        modules = config.modules;
        methods = config.crypto.methods;
      }
      const log = createLogger({ level: opts.log as 'warn' });

      let directory: RunningDirectory | undefined;
      const nodes: OpenRedNode[] = [];
      let stopping: Promise<void> | undefined;
      const stopAll = (): Promise<void> =>
        (stopping ??= (async () => {
          await Promise.allSettled(nodes.map((n) => n.stop()));
          await directory?.stop().catch(() => undefined);
        })());
      // Handlers first: Ctrl-C during startup stops what already runs.
      const stopped = new Promise<void>((done) => {
        const stop = (): void => void stopAll().then(done, done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });

      try {
        directory = await startDirectory(
          {
            port: port(0),
            host: '127.0.0.1',
            dataDir: join(dataRoot, 'directory'),
            outbound: { allowLoopback: true },
          },
          { logger: log.child({ component: 'directory' }) },
        );
        for (let i = 1; i <= count && !stopping; i++) {
          const dataDir = join(dataRoot, `node-${i}`);
          const user: OpenRedUserConfig = {
            node: { name: `dev-${i}`, dataDir },
            server: {
              p2p: { host: '127.0.0.1', port: port(2 * i - 1) },
              api: { host: '127.0.0.1', port: port(2 * i) },
            },
            directory: { embedded: false, url: directory.url, publicKey: directory.publicKey },
            crypto: { isolation: 'inline', ...(methods ? { methods } : {}) },
            plugins: { dirs: [pluginsDir], packages: true, hotReload: true },
            modules,
            log: { level: opts.log as 'warn' },
          };
          const node = createNode(resolveConfig(user, dataDir, {}), {
            logger: log.child({ node: `dev-${i}` }),
            allowAnonymousOwnerApi: true,
          });
          nodes.push(node);
          await node.start();
        }
      } catch (err) {
        await stopAll();
        throw err;
      }
      if (stopping) {
        await stopped;
        return;
      }

      const info = {
        directory: { url: directory.url, publicKey: directory.publicKey },
        plugins: pluginsDir,
        nodes: nodes.map((n) => ({
          name: n.config.node.name,
          node_id: n.id,
          p2p: n.urls.p2p,
          api: n.urls.api,
          data: n.config.node.dataDir,
        })),
      };
      print(opts.json, info, () =>
        [
          `OpenRed dev community: directory ${info.directory.url}, ${nodes.length} node(s) watching ${pluginsDir}`,
          '',
          ...info.nodes.flatMap((n) => [
            `${n.name}  ${n.node_id}`,
            `  peers (p2p) ${n.p2p}   owner (api) ${n.api}   data ${n.data}`,
          ]),
          '',
          'Talk to a node as its owner (no login in dev):',
          `  curl ${info.nodes[0]!.api}/api/node/status`,
          `  npx openred plugins --api ${info.nodes[0]!.api}`,
          info.nodes.length > 1
            ? `  curl -X POST ${info.nodes[0]!.api}/api/peers/connect -H 'content-type: application/json' -d '{"node_id":"${info.nodes[1]!.node_id}"}'`
            : '',
          'Add a plugin: npx create-openred-plugin my-plugin --dir plugins/my-plugin  (loads at once; edits reload)',
          'Press Ctrl-C to stop.',
        ]
          .filter((l) => l !== '')
          .join('\n'),
      );
      await stopped;
      process.exitCode = 0;
    });
}
