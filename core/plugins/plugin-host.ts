import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { PluginDefinition } from '@openred/plugin-sdk';
import type { OpenRedConfig } from '../config/types.js';
import { isOpenRedError, PluginError } from '../errors.js';
import { cachedCompiler, describeErrors, documentAjv } from '../http/validation.js';
import type { Dispatcher } from '../p2p/dispatcher.js';
import { dependencyOrder, dependentsOf, orderOrReport } from './dependency-order.js';
import { discoverPlugins } from './discovery.js';
import { PluginGeneration } from './generation.js';
import { loadPluginDefinition } from './loader.js';
import type { PluginManifest } from './manifest.js';
import { readManifest } from './manifest.js';
import { createPluginContext, type PluginRuntime } from './plugin-context.js';
import type { PluginStatus } from './plugin-status.js';

export const PLUGIN_CONTEXT = Symbol.for('openred.PluginContext');

interface PluginRecord {
  manifest: PluginManifest;
  status: PluginStatus;
  /** The generation being served, if any. */
  active?: PluginGeneration;
  /** Config the active generation was set up with (to detect changes). */
  configJson?: string;
}

export interface CipherSink {
  register(owner: string, entries: PluginGeneration['ciphers']): void;
  unregister(owner: string): void;
}

export interface PluginHostOptions {
  runtime: PluginRuntime;
  dispatcher: Dispatcher;
  ciphers: CipherSink;
  log: Logger;
  /** node_modules folders searched for `openred-plugin-*` packages. */
  nodeModules: string[];
  /** How long a replaced version may keep running requests before its teardown runs anyway. */
  drainTimeoutMs?: number;
  /** How long a plugin's setup() may run before it is reported as failed (default 30 s). */
  setupTimeoutMs?: number;
  container?: DependencyContainer;
  onEvent?: (
    event: 'plugin.loaded' | 'plugin.failed' | 'plugin.unloaded',
    detail: Record<string, unknown>,
  ) => void;
}

/**
 * Discovers, loads, orders, sets up and hot-swaps plugins. Every operation runs through one queue, so a
 * reload never interleaves with another. A plugin that fails to load or set up is reported (status, log) and
 * leaves its previous version serving; the node keeps running.
 *
 * Enabling rule: a plugin in one of `plugins.dirs` is enabled unless `modules.<name>.enabled` is false;
 * an installed `openred-plugin-*` package is enabled only when `modules.<name>` lists it (installing a
 * dependency must not silently run code inside the node).
 */
export class PluginHost {
  readonly #o: PluginHostOptions;
  readonly #records = new Map<string, PluginRecord>();
  #config!: OpenRedConfig;
  #queue: Promise<unknown> = Promise.resolve();
  #invalid: Array<{ dir: string; error: string }> = [];
  readonly #pendingDispose = new Map<PluginGeneration, NodeJS.Timeout>();
  /** Teardowns that are running, so stop() can wait for them. */
  readonly #disposing = new Set<Promise<void>>();

  constructor(options: PluginHostOptions) {
    this.#o = options;
  }

  /** Runs `fn` after every queued operation. */
  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  start(config: OpenRedConfig): Promise<void> {
    return this.#enqueue(async () => {
      this.#config = config;
      await this.#rescan();
      await this.#reconcile(new Set(this.#records.keys()));
    });
  }

  /** Reloads one plugin from disk (file change). */
  reload(name: string): Promise<void> {
    return this.#enqueue(async () => {
      const record = this.#records.get(name);
      if (!record) return;
      const fresh = await this.#readManifestSafely(record.manifest.dir);
      if (fresh) record.manifest = fresh;
      await this.#reconcile(new Set([name, ...dependentsOf(this.#dependents(), name)]), true);
    });
  }

  /** Re-scans plugin folders (a plugin folder appeared or vanished). */
  rescan(): Promise<void> {
    return this.#enqueue(async () => {
      const before = new Set(this.#records.keys());
      const changed = await this.#rescan();
      for (const n of this.#records.keys()) if (!before.has(n)) changed.add(n);
      for (const n of before) if (!this.#records.has(n)) changed.add(n);
      await this.#reconcile(changed, true);
    });
  }

  /** Applies a new config: enables, disables and reconfigures plugins live. */
  applyConfig(config: OpenRedConfig): Promise<void> {
    return this.#enqueue(async () => {
      this.#config = config;
      await this.#reconcile(new Set(this.#records.keys()));
    });
  }

  list(): PluginStatus[] {
    return [...this.#records.values()]
      .map((r) => structuredClone(r.status))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  get invalid(): Array<{ dir: string; error: string }> {
    return [...this.#invalid];
  }

  /** The plugin folder a path belongs to, if any (for the watcher). */
  pluginForPath(path: string): string | undefined {
    for (const [name, r] of this.#records) {
      if (path === r.manifest.dir || path.startsWith(r.manifest.dir + '/')) return name;
    }
    return undefined;
  }

  /** Unloads everything (reverse dependency order) and waits for in-flight requests to finish. */
  stop(): Promise<void> {
    return this.#enqueue(async () => {
      const active = [...this.#records.values()].filter((r) => r.active);
      const activeNames = new Set(active.map((r) => r.manifest.name));
      const order = dependencyOrder(
        active.map((r) => ({
          name: r.manifest.name,
          dependsOn: r.status.dependsOn.filter((d) => activeNames.has(d)),
        })),
      ).reverse();
      for (const { name } of order) {
        const r = this.#records.get(name)!;
        this.#o.runtime.services.removeOwner(name);
        this.#o.ciphers.unregister(name);
        r.active = undefined;
      }
      this.#commit();
      await Promise.all([...this.#pendingDispose.keys()].map((g) => this.#disposeNow(g)));
      // Generations whose last request had already finished were handed to #disposeNow by the swap itself.
      await Promise.all(this.#disposing);
    });
  }

  async #readManifestSafely(dir: string): Promise<PluginManifest | undefined> {
    try {
      return await readManifest(dir);
    } catch (err) {
      this.#o.log.error({ dir, err: messageOf(err) }, 'invalid plugin manifest');
      return undefined;
    }
  }

  /**
   * Syncs the records with the plugin folders. Returns the known plugins to load again: those whose manifest
   * changed (a package.json edit is a structural change, so it arrives here rather than as a reload) and
   * those that carry an error from an earlier attempt.
   */
  async #rescan(): Promise<Set<string>> {
    const retry = new Set<string>();
    const { found, invalid } = await discoverPlugins(
      this.#config.plugins.dirs,
      this.#config.plugins.packages ? this.#o.nodeModules : [],
    );
    this.#invalid = invalid;
    for (const i of invalid) this.#o.log.error({ dir: i.dir, error: i.error }, 'plugin not loaded');
    const seen = new Set<string>();
    for (const manifest of found) {
      seen.add(manifest.name);
      const record = this.#records.get(manifest.name);
      if (record) {
        if (record.manifest.entry !== manifest.entry || record.manifest.dir !== manifest.dir) {
          retry.add(manifest.name);
        }
        if (record.status.lastError !== null) retry.add(manifest.name);
        record.manifest = manifest;
        record.status.dir = manifest.dir;
      } else {
        this.#records.set(manifest.name, {
          manifest,
          status: {
            name: manifest.name,
            version: null,
            state: 'disabled',
            dir: manifest.dir,
            lastError: null,
            loadedAt: null,
            reloads: 0,
            routes: { p2p: 0, api: 0 },
            dependsOn: [],
          },
        });
      }
    }
    const brokenManifest = new Map(invalid.map((i) => [i.dir, i.error]));
    for (const [name, record] of this.#records) {
      if (seen.has(name)) continue;
      // A serving plugin whose package.json became invalid keeps serving, like one whose code fails to load.
      const error = brokenManifest.get(record.manifest.dir);
      if (error !== undefined && record.active) {
        record.status.lastError = error;
        continue;
      }
      this.#unload(record, 'plugin folder removed');
      this.#records.delete(name);
    }
    return retry;
  }

  #isEnabled(manifest: PluginManifest): boolean {
    const entry = this.#config.modules[manifest.name];
    if (entry && entry.enabled === false) return false;
    const local = this.#config.plugins.dirs.some((d) => manifest.dir.startsWith(d + '/'));
    return local || entry !== undefined;
  }

  #dependents(): Array<{ name: string; dependsOn: string[] }> {
    return [...this.#records.values()].map((r) => ({ name: r.manifest.name, dependsOn: r.status.dependsOn }));
  }

  /**
   * Brings `names` to the state the config asks for: loads what should run (in dependency order), unloads
   * what should not, then commits one new dispatch table. `force` reloads even if nothing changed.
   */
  async #reconcile(names: Set<string>, force = false): Promise<void> {
    // 1. Load definitions of everything that should be enabled (so dependsOn is known).
    const wanted: Array<{
      record: PluginRecord;
      def: PluginDefinition;
      config: unknown;
      configJson: string;
    }> = [];
    for (const name of names) {
      const record = this.#records.get(name);
      if (!record) continue;
      if (!this.#isEnabled(record.manifest)) {
        if (record.active) this.#unload(record, 'disabled in config');
        record.status.state = 'disabled';
        continue;
      }
      const userConfig = { ...(this.#config.modules[name] ?? {}) };
      delete userConfig.enabled;
      const configJson = JSON.stringify(userConfig);
      if (!force && record.active && record.configJson === configJson) continue;
      try {
        const def = await loadPluginDefinition(record.manifest);
        const config = validatePluginConfig(name, def, userConfig);
        record.status.dependsOn = [...(def.dependsOn ?? [])];
        wanted.push({ record, def, config, configJson });
      } catch (err) {
        this.#fail(record, err);
      }
    }
    // 2. Drop (and report) plugins whose dependencies are neither loading now nor running; repeat until
    //    stable, since dropping one can strand another. Then order the rest by dependencies.
    let pending = wanted;
    for (let changed = true; changed;) {
      changed = false;
      const available = new Set([
        ...pending.map((w) => w.def.name),
        ...[...this.#records.values()].filter((r) => r.active).map((r) => r.manifest.name),
      ]);
      for (const w of pending) {
        const missing = (w.def.dependsOn ?? []).find((d) => !available.has(d));
        if (missing !== undefined) {
          this.#fail(
            w.record,
            new PluginError(
              w.def.name,
              `depends on ${missing}, which is not enabled or failed`,
              'OR_ERR_PLUGIN_DEPENDENCY',
            ),
          );
          pending = pending.filter((x) => x !== w);
          changed = true;
        }
      }
    }
    // A cycle fails the plugins on it (and their dependents) only, not every plugin being loaded.
    const pendingNames = new Set(pending.map((w) => w.def.name));
    const { ordered: orderedItems, failed } = orderOrReport(
      pending.map((w) => ({
        name: w.def.name,
        dependsOn: (w.def.dependsOn ?? []).filter((d) => pendingNames.has(d)),
        w,
      })),
    );
    for (const { item, error } of failed) this.#fail(item.w.record, error);
    const ordered = orderedItems.map((d) => d.w);
    // 3. Set up each in order; publish provided services as we go so dependents can use them in setup().
    for (const w of ordered) {
      const failedDep = (w.def.dependsOn ?? []).find((d) => !this.#records.get(d)?.active);
      if (failedDep !== undefined) {
        this.#fail(
          w.record,
          new PluginError(w.def.name, `dependency ${failedDep} is not running`, 'OR_ERR_PLUGIN_DEPENDENCY'),
        );
        continue;
      }
      await this.#setup(w.record, w.def, w.config, w.configJson);
    }
    this.#commit();
  }

  async #setup(
    record: PluginRecord,
    def: PluginDefinition,
    config: unknown,
    configJson: string,
  ): Promise<void> {
    const name = def.name;
    const child = (this.#o.container ?? rootContainer).createChildContainer();
    const generation = new PluginGeneration(name, def.version, child);
    try {
      const ctx = createPluginContext(generation, config, this.#o.runtime);
      child.register(PLUGIN_CONTEXT, { useValue: ctx });
      const teardown = await this.#runSetup(def, ctx, generation);
      if (typeof teardown === 'function') generation.disposers.push(teardown as () => unknown);
      generation.seal(this.#o.log);
    } catch (err) {
      await generation.dispose(this.#o.log);
      this.#fail(record, err);
      return;
    }
    const previous = record.active;
    // Swap services and ciphers to the new version; routes and middleware swap at commit.
    this.#o.runtime.services.removeOwner(name, new Set(generation.provided.keys()));
    for (const [serviceName, value] of generation.provided)
      this.#o.runtime.services.provide(name, serviceName, value);
    this.#o.ciphers.unregister(name);
    if (generation.ciphers.length > 0) this.#o.ciphers.register(name, generation.ciphers);
    record.active = generation;
    record.configJson = configJson;
    const s = record.status;
    if (previous) s.reloads++;
    s.version = def.version;
    s.state = 'active';
    s.lastError = null;
    s.loadedAt = this.#o.runtime.clock.now();
    s.routes = {
      p2p: generation.routes.filter((r) => r.surface === 'p2p').length,
      api: generation.routes.filter((r) => r.surface === 'api').length,
    };
    this.#o.log.info({ plugin: name, version: def.version, reload: Boolean(previous) }, 'plugin loaded');
    this.#o.onEvent?.('plugin.loaded', { plugin: name, version: def.version, reload: Boolean(previous) });
  }

  /**
   * Runs setup() with a time limit: every load, reload and config change waits in one queue, so a setup that
   * never settles would otherwise stall the node's start and every later reload. A setup that finishes after
   * the limit has its declarations refused and its teardown run at once.
   */
  async #runSetup(def: PluginDefinition, ctx: unknown, generation: PluginGeneration): Promise<unknown> {
    const limitMs = this.#o.setupTimeoutMs ?? 30_000;
    const setup = new Promise<unknown>((resolve) => resolve(def.setup(ctx as never)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        generation.seal(this.#o.log);
        reject(
          new PluginError(
            def.name,
            `setup() did not finish within ${limitMs} ms`,
            'OR_ERR_PLUGIN_SETUP_TIMEOUT',
          ),
        );
        void setup.then(
          (late) => (typeof late === 'function' ? (late as () => unknown)() : undefined),
          () => undefined,
        );
      }, limitMs);
    });
    try {
      return await Promise.race([setup, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #unload(record: PluginRecord, reason: string): void {
    if (!record.active) return;
    const name = record.manifest.name;
    this.#o.runtime.services.removeOwner(name);
    this.#o.ciphers.unregister(name);
    record.active = undefined;
    record.status.state = 'disabled';
    record.status.routes = { p2p: 0, api: 0 };
    this.#o.log.info({ plugin: name, reason }, 'plugin unloaded');
    this.#o.onEvent?.('plugin.unloaded', { plugin: name, reason });
    // Dependents of an unloaded plugin cannot keep running.
    for (const dep of dependentsOf(this.#dependents(), name)) {
      const r = this.#records.get(dep);
      if (r?.active) {
        this.#unload(r, `dependency ${name} unloaded`);
        r.status.state = 'failed';
        r.status.lastError = `dependency ${name} is not running`;
      }
    }
  }

  #fail(record: PluginRecord, err: unknown): void {
    const message = messageOf(err);
    record.status.lastError = message;
    // An older version that still serves stays active; otherwise the plugin is marked failed.
    if (!record.active) record.status.state = 'failed';
    this.#o.log.error({ plugin: record.manifest.name, error: message }, 'plugin failed to load');
    this.#o.onEvent?.('plugin.failed', { plugin: record.manifest.name, error: message });
  }

  /** Publishes the active generations as one new table (one pointer swap). */
  #commit(): void {
    const order = [...this.#records.values()].filter((r) => r.active).map((r) => r.active!);
    const replaced = this.#o.dispatcher.table.generations.filter((g) => !order.includes(g));
    // Generations still held by in-flight requests are disposed when those finish (callback), or after the
    // drain timeout at the latest.
    this.#o.dispatcher.swap(order, (g) => void this.#disposeNow(g));
    for (const g of replaced) this.#scheduleForcedDispose(g);
  }

  #scheduleForcedDispose(g: PluginGeneration): void {
    if (this.#pendingDispose.has(g) || g.disposed) return;
    const timer = setTimeout(() => {
      this.#o.log.warn(
        { plugin: g.plugin, generation: g.id },
        'old plugin version still busy; tearing down anyway',
      );
      void this.#disposeNow(g);
    }, this.#o.drainTimeoutMs ?? 30_000);
    timer.unref();
    this.#pendingDispose.set(g, timer);
  }

  #disposeNow(g: PluginGeneration): Promise<void> {
    const timer = this.#pendingDispose.get(g);
    if (timer) clearTimeout(timer);
    this.#pendingDispose.delete(g);
    const done = g.dispose(this.#o.log);
    this.#disposing.add(done);
    void done.finally(() => this.#disposing.delete(done));
    return done;
  }
}

const compileConfigSchema = cachedCompiler(documentAjv);

/** Validates a module's settings against the plugin's schema; problems are named `modules.<name>.<path>`. */
export function validatePluginConfig(
  name: string,
  def: PluginDefinition,
  userConfig: Record<string, unknown>,
): unknown {
  const value = structuredClone(userConfig);
  if (!def.config) return value;
  let validate;
  try {
    validate = compileConfigSchema(def.config as object);
  } catch (err) {
    throw new PluginError(name, `invalid config schema: ${(err as Error).message}`, 'OR_ERR_PLUGIN_INVALID');
  }
  if (!validate(value)) {
    const problems = describeErrors(validate.errors, `modules.${name}`, '.');
    throw new PluginError(name, `invalid config: ${problems.join('; ')}`, 'OR_ERR_CONFIG');
  }
  return value;
}

function messageOf(err: unknown): string {
  if (isOpenRedError(err)) return err.message;
  return String((err as Error)?.message ?? err).split('\n')[0] ?? 'unknown error';
}
