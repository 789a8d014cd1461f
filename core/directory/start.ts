import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { loadOrCreateDirectoryKey } from '../crypto/directory-key.js';
import { closeServer, createHttpServer, listen } from '../http/server.js';
import { defaultHttpLimits } from '../http/limits.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import { createLogger } from '../kernel/logger.js';
import { resolveDirectoryOptions, type DirectoryOptions, type ResolvedDirectoryOptions } from './options.js';
import type { Resolver } from './outbound-policy.js';
import { DirectoryService } from './service.js';
import { openStore } from './store/index.js';
import type { DirectoryStore } from './store/types.js';

/** What an embedding process can supply besides the options (none of it is configuration). */
export interface DirectoryRuntime {
  clock?: Clock;
  logger?: Logger;
  /** An already open store (kept open by stop(): its opener closes it). */
  store?: DirectoryStore;
  resolver?: Resolver;
}

export interface RunningDirectory {
  /** Base URL, e.g. `http://127.0.0.1:7600` (the API is under `<url>/api/v3`). */
  url: string;
  port: number;
  host: string;
  /** The directory's Ed25519 public key, base64url: what nodes pin. */
  publicKey: string;
  fingerprint: string;
  store: DirectoryStore;
  service: DirectoryService;
  options: ResolvedDirectoryOptions;
  server: Server;
  /** Stops accepting, lets running requests finish, closes outbound connections and the store. Idempotent. */
  stop(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts a directory: loads (or creates) its key, opens the store, listens. Used by `openred directory start`
 * and by the kernel for an embedded directory.
 *
 * @example
 * const dir = await startDirectory({ port: 0, dataDir: '/var/lib/openred/directory' });
 * console.log(dir.url, dir.fingerprint);
 * await dir.stop();
 */
export async function startDirectory(
  options: DirectoryOptions = {},
  runtime: DirectoryRuntime = {},
): Promise<RunningDirectory> {
  const opts = resolveDirectoryOptions(options);
  const clock = runtime.clock ?? systemClock;
  const log = runtime.logger ?? createLogger({ name: 'directory' });
  const key = loadOrCreateDirectoryKey(opts.keyDir);
  const ownStore = runtime.store === undefined;
  const store =
    runtime.store ??
    (await openStore(opts, clock, (err) => log.error({ err }, 'directory store write failed')));
  let service: DirectoryService | undefined;
  try {
    service = new DirectoryService({ options: opts, store, key, clock, log, resolver: runtime.resolver });
    const server = createHttpServer(service.app, {
      ...defaultHttpLimits,
      maxBodyBytes: opts.limits.maxBodyBytes,
      maxJsonDepth: opts.limits.maxJsonDepth,
      handlerTimeoutMs: opts.limits.handlerTimeoutMs,
      headersTimeoutMs: opts.limits.headersTimeoutMs,
      requestTimeoutMs: opts.limits.requestTimeoutMs,
      keepAliveTimeoutMs: opts.limits.keepAliveTimeoutMs,
    });
    const address = await listen(server, opts.port, opts.host);
    const url = `http://${urlHost(opts.host)}:${address.port}`;
    log.info({ url, store: store.kind, fingerprint: key.fingerprint }, 'directory listening');
    let stopping: Promise<void> | undefined;
    const svc = service;
    return {
      url,
      port: address.port,
      host: opts.host,
      publicKey: key.publicKey,
      fingerprint: key.fingerprint,
      store,
      service: svc,
      options: opts,
      server,
      stop: () =>
        (stopping ??= (async () => {
          await closeServer(server);
          await svc.close();
          if (ownStore) await store.close();
          log.info('directory stopped');
        })()),
    };
  } catch (err) {
    await service?.close();
    if (ownStore) await store.close();
    throw err;
  }
}
