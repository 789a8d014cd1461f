import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../kernel/logger.js';
import type { DirectoryOptions } from '../../directory/options.js';
import { startDirectory } from '../../directory/start.js';

interface StartFlags {
  port?: number;
  host?: string;
  data?: string;
  keyDir?: string;
  store?: 'lowdb' | 'redis';
  redisUrl?: string;
  keyPrefix?: string;
  allowPrivate?: boolean;
  allowLoopback?: boolean;
  options?: string;
  logLevel?: string;
  json?: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`--port: ${value} is not a port number`);
  return n;
}

function readOptionsFile(file: string): DirectoryOptions {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as DirectoryOptions;
  } catch {
    throw new ConfigError(`${file} is not valid JSON`);
  }
}

/** Flags win over the options file; everything else keeps the schema defaults. */
function toOptions(flags: StartFlags): DirectoryOptions {
  const o: DirectoryOptions = flags.options ? readOptionsFile(flags.options) : {};
  if (flags.port !== undefined) o.port = flags.port;
  if (flags.host !== undefined) o.host = flags.host;
  if (flags.data !== undefined) o.dataDir = flags.data;
  if (flags.keyDir !== undefined) o.keyDir = flags.keyDir;
  if (flags.store !== undefined) o.store = flags.store;
  if (flags.redisUrl !== undefined) o.redisUrl = flags.redisUrl;
  if (flags.keyPrefix !== undefined) o.keyPrefix = flags.keyPrefix;
  if (flags.allowPrivate) o.outbound = { ...o.outbound, allowPrivate: true, allowLoopback: true };
  if (flags.allowLoopback) o.outbound = { ...o.outbound, allowLoopback: true };
  return o;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function register(program: Command): void {
  const directory = program.command('directory').description('Run a community directory service.');
  directory
    .command('start')
    .description(
      'Start a standalone directory. Prints its URL and the public key nodes must pin; stops on SIGINT/SIGTERM.',
    )
    .option('--port <port>', 'port to listen on (0: any free port)', port)
    .option('--host <host>', 'address to listen on')
    .option('--data <dir>', 'data folder (lowdb files, directory key)')
    .option('--key-dir <dir>', 'folder of directory-key.pem (scaled-out instances share one key)')
    .addOption(new Option('--store <kind>', 'node store').choices(['lowdb', 'redis']))
    .option('--redis-url <url>', 'Redis URL for --store redis')
    .option('--key-prefix <prefix>', 'prefix of the Redis keys')
    .option('--allow-private', 'dev/test mode: accept node URLs on private and loopback addresses')
    .option('--allow-loopback', 'accept node URLs on loopback addresses (single-machine demos)')
    .option('--options <file>', 'JSON file with directory options (see docs/directory.md); flags override it')
    .option('--log-level <level>', 'log level (logs go to stderr)')
    .option('--json', 'print machine-readable JSON lines on stdout')
    .action(async (flags: StartFlags) => {
      const logger = createLogger({ name: 'directory', level: flags.logLevel, destination: process.stderr });
      const dir = await startDirectory(toOptions(flags), { logger });
      if (flags.json) {
        const line = {
          event: 'listening',
          url: dir.url,
          port: dir.port,
          public_key: dir.publicKey,
          fingerprint: dir.fingerprint,
          store: dir.store.kind,
        };
        process.stdout.write(JSON.stringify(line) + '\n');
      } else {
        process.stdout.write(
          `directory listening on ${dir.url} (store: ${dir.store.kind})\n` +
            `public key:  ${dir.publicKey}\nfingerprint: ${dir.fingerprint}\n`,
        );
      }
      const signal = await waitForSignal();
      await dir.stop();
      process.stdout.write(
        flags.json ? JSON.stringify({ event: 'stopped', signal }) + '\n' : `stopped (${signal})\n`,
      );
    });
}
