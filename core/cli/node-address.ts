import type { Command } from 'commander';
import { loadConfigFile } from '../config/load-config.js';

/** The owner API URL of the node a config file describes (loopback when it binds all interfaces). */
export async function apiUrlFromConfig(file: string): Promise<string> {
  const { config } = await loadConfigFile(file);
  const host =
    config.server.api.host === '0.0.0.0'
      ? '127.0.0.1'
      : config.server.api.host === '::'
        ? '[::1]'
        : config.server.api.host;
  return `http://${host}:${config.server.api.port}`;
}

/** Adds the options every command that talks to a running node shares. */
export function nodeOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file of the node', 'openred.config.ts')
    .option('--api <url>', 'owner API URL of the node (default: from the config)')
    .option('--json', 'machine-readable output');
}

export interface NodeCommandOptions {
  config: string;
  api?: string;
  json?: boolean;
}

export async function resolveApi(opts: NodeCommandOptions): Promise<string> {
  return opts.api ?? process.env.OPENRED_API_URL ?? (await apiUrlFromConfig(opts.config));
}
