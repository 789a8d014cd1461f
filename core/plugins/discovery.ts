import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { isOpenRedError } from '../errors.js';
import { readManifest, type PluginManifest } from './manifest.js';

export interface DiscoveryResult {
  found: PluginManifest[];
  /** Folders that look like plugins but whose manifest is broken. */
  invalid: Array<{ dir: string; error: string }>;
}

/**
 * Finds plugins: every subfolder of the plugin dirs with a package.json that has an `openred` field, and
 * installed packages named `openred-plugin-*` (also scoped `@scope/openred-plugin-*`). When two candidates
 * share a plugin name, the first found wins (plugin dirs before packages) and the other is reported.
 */
export async function discoverPlugins(dirs: string[], nodeModules: string[] = []): Promise<DiscoveryResult> {
  const result: DiscoveryResult = { found: [], invalid: [] };
  const seen = new Map<string, string>();
  const consider = async (dir: string): Promise<void> => {
    try {
      const manifest = await readManifest(dir);
      if (!manifest) return;
      const previous = seen.get(manifest.name);
      if (previous) {
        result.invalid.push({ dir, error: `plugin name ${manifest.name} already provided by ${previous}` });
        return;
      }
      seen.set(manifest.name, dir);
      result.found.push(manifest);
    } catch (err) {
      result.invalid.push({ dir, error: isOpenRedError(err) ? err.message : String(err) });
    }
  };
  for (const dir of dirs) {
    for (const name of await listDirs(dir)) await consider(join(dir, name));
  }
  for (const nm of nodeModules) {
    for (const name of await listDirs(nm)) {
      if (name.startsWith('openred-plugin-')) await consider(await realpath(join(nm, name)));
      else if (name.startsWith('@')) {
        for (const sub of await listDirs(join(nm, name))) {
          if (sub.startsWith('openred-plugin-')) await consider(await realpath(join(nm, name, sub)));
        }
      }
    }
  }
  return result;
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter(
        (e) =>
          (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.') && e.name !== 'node_modules',
      )
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
