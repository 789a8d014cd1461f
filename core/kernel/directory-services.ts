import { join } from 'node:path';
import type { OpenRedConfig } from '../config/types.js';
import { loadOrCreateDirectoryKey } from '../crypto/directory-key.js';
import { DirectoryClient } from '../directory/client.js';
import { resolveDirectoryOptions, type DirectoryOptions } from '../directory/options.js';
import { ConfigError } from '../errors.js';
import { PresenceReporter } from '../directory/presence-reporter.js';
import { startDirectory, type RunningDirectory } from '../directory/start.js';
import type { Service } from './lifecycle.js';
import type { OpenRedNode } from './node.js';

/**
 * Prepares the directory settings before the node starts. With an embedded directory, its key is created
 * (or loaded) now, so the node can pin it before its crypto engine starts.
 */
export function prepareDirectory(config: OpenRedConfig): void {
  const embedded = config.directory.embedded;
  if (!embedded) return;
  checkEmbeddedOptions(config);
  const key = loadOrCreateDirectoryKey(embeddedDataDir(config));
  config.directory.publicKey = key.publicKey;
}

/** The embedded directory's options: the config's `directory.embedded` with the node's data folder. */
function embeddedOptions(config: OpenRedConfig): DirectoryOptions {
  const embedded = config.directory.embedded;
  if (!embedded) return {};
  const { allowLoopback, ...rest } = embedded;
  const options = rest as DirectoryOptions;
  return {
    ...options,
    dataDir: embeddedDataDir(config),
    outbound: { ...(options.outbound ?? {}), allowLoopback: allowLoopback ?? true },
  };
}

/** Validates the embedded directory's settings now, so a typo is a config error, not a failed start. */
function checkEmbeddedOptions(config: OpenRedConfig): void {
  try {
    resolveDirectoryOptions(embeddedOptions(config));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems = err.problems.map((p) =>
      p.replace(/^directory\//, 'directory.embedded.').replace(/\//g, '.'),
    );
    throw new ConfigError(`invalid config: ${problems[0]}`, problems);
  }
}

function embeddedDataDir(config: OpenRedConfig): string {
  return join(config.node.dataDir, 'directory');
}

/**
 * The directory-related services of a node: the embedded directory (when configured) and presence: register
 * at start, heartbeat, re-register after an outage. A directory that is down never stops the node from
 * starting; presence keeps retrying with backoff.
 */
export function directoryServices(node: OpenRedNode): Service[] {
  const { config } = node;
  const services: Service[] = [];
  let running: RunningDirectory | undefined;
  const embedded = config.directory.embedded;
  if (embedded) {
    services.push({
      name: 'directory',
      dependsOn: ['storage'],
      start: async () => {
        running = await startDirectory(embeddedOptions(config), {
          clock: node.clock,
          logger: node.log.child({ component: 'directory' }),
        });
        config.directory.url = running.url;
        node.embeddedDirectory = running;
      },
      stop: async () => {
        await running?.stop();
      },
    });
  }
  if (config.directory.url || embedded) {
    let reporter: PresenceReporter | undefined;
    services.push({
      name: 'presence',
      dependsOn: embedded ? ['http', 'directory'] : ['http'],
      start: async () => {
        if (!config.directory.url || !config.directory.publicKey) {
          node.log.warn(
            'directory.url or directory.publicKey missing: this node will not register with a directory',
          );
          return;
        }
        const client = new DirectoryClient({
          url: config.directory.url,
          directoryPublicKey: config.directory.publicKey,
          nodeId: node.id,
          publicKeys: node.crypto.publicKeys,
          apiUrl: node.publicUrl,
          capabilities: activeCapabilities(node),
          sign: (data) => node.crypto.sign(data),
          clock: node.clock,
        });
        node.directoryClient = client;
        reporter = new PresenceReporter({
          client,
          intervalMs: config.directory.heartbeatSeconds * 1000,
          clock: node.clock,
          log: node.log.child({ component: 'presence' }),
          onChange: (state) => node.events.emit('directory.presence', state),
        });
        node.presence = reporter;
        // Capabilities follow the plugins: re-register when one loads or unloads.
        for (const event of ['plugin.loaded', 'plugin.unloaded']) {
          node.events.on(event, () => {
            client.update({ capabilities: activeCapabilities(node) });
            void reporter?.beat();
          });
        }
        await reporter.start();
      },
      stop: async () => {
        await reporter?.stop();
      },
    });
  }
  return services;
}

function activeCapabilities(node: OpenRedNode): string[] {
  return node.host
    .list()
    .filter((p) => p.state === 'active')
    .map((p) => p.name);
}
