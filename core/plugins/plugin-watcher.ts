import { watch, type FSWatcher } from 'chokidar';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';

export interface WatchTargets {
  /** Folders holding plugin folders (`plugins/`). */
  pluginDirs: string[];
  /** The config file, if loaded from one. */
  configFile?: string;
}

export interface WatchHandlers {
  /** A file inside a known plugin folder changed. */
  pluginChanged(name: string): void;
  /** A plugin folder appeared or vanished (or a package.json changed) — rescan. */
  pluginsRescan(): void;
  configChanged(): void;
  /** Maps a path to the plugin that owns it. */
  pluginForPath(path: string): string | undefined;
}

/**
 * Watches plugin folders and the config file with chokidar and reports debounced changes. Editors often
 * write in several steps (truncate, write, rename), so events for one plugin within `debounceMs` collapse
 * into one reload. node_modules, dot-files and test folders are ignored.
 */
export class PluginWatcher {
  #watcher: FSWatcher | undefined;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly targets: WatchTargets,
    private readonly handlers: WatchHandlers,
    private readonly log: Logger,
    private readonly debounceMs = 75,
  ) {}

  async start(): Promise<void> {
    const paths = [...this.targets.pluginDirs];
    if (this.targets.configFile) paths.push(this.targets.configFile);
    const watcher = watch(paths, {
      ignoreInitial: true,
      ignored: (p: string) => {
        const name = basename(p);
        return name === 'node_modules' || (name.startsWith('.') && name.length > 1) || name.endsWith('.tmp');
      },
      awaitWriteFinish: { stabilityThreshold: 25, pollInterval: 10 },
    });
    watcher.on('all', (event, path) => this.#onEvent(event, resolve(path)));
    watcher.on('error', (err) => this.log.error({ err }, 'file watcher error'));
    await new Promise<void>((res) => watcher.once('ready', () => res()));
    this.#watcher = watcher;
  }

  #onEvent(event: string, path: string): void {
    if (this.targets.configFile && path === resolve(this.targets.configFile)) {
      this.#debounce('config', () => this.handlers.configChanged());
      return;
    }
    const structural =
      event === 'addDir' ||
      event === 'unlinkDir' ||
      basename(path) === 'package.json' ||
      this.targets.pluginDirs.some((d) => dirname(path) === resolve(d));
    const plugin = this.handlers.pluginForPath(path);
    if (plugin && !structural) {
      this.#debounce(`plugin:${plugin}`, () => this.handlers.pluginChanged(plugin));
    } else {
      this.#debounce('rescan', () => this.handlers.pluginsRescan());
    }
  }

  #debounce(key: string, fn: () => void): void {
    clearTimeout(this.#timers.get(key));
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      fn();
    }, this.debounceMs);
    timer.unref();
    this.#timers.set(key, timer);
  }

  async stop(): Promise<void> {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await this.#watcher?.close();
    this.#watcher = undefined;
  }
}
