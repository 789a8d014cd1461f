import { join } from 'node:path';
import { createJiti } from 'jiti';
import { isPluginDefinition, type PluginDefinition } from '@openred/plugin-sdk';
import { PluginError } from '../errors.js';
import type { PluginManifest } from './manifest.js';

/**
 * Loads a plugin's entry file fresh on every call. jiti with `moduleCache: false` transpiles TypeScript
 * (with decorator metadata) and re-evaluates the plugin's own files each time without growing the heap;
 * plain `import(url + '?v=N')` would leak every version (ESM module records are never freed, STACK.md).
 */
export async function loadPluginDefinition(manifest: PluginManifest): Promise<PluginDefinition> {
  const file = join(manifest.dir, manifest.entry);
  const jiti = createJiti(file, { moduleCache: false, interopDefault: true });
  let exported: unknown;
  try {
    exported = await jiti.import(file, { default: true });
  } catch (err) {
    throw new PluginError(manifest.name, `cannot load ${file}: ${firstLine(err)}`, 'OR_ERR_PLUGIN_LOAD', err);
  }
  return checkDefinition(manifest, exported);
}

export function checkDefinition(manifest: PluginManifest, exported: unknown): PluginDefinition {
  const def = exported as Partial<PluginDefinition> | undefined;
  if (!isPluginDefinition(def) && !(def && typeof def.setup === 'function' && typeof def.name === 'string')) {
    throw new PluginError(
      manifest.name,
      `${manifest.entry} must export default definePlugin({...})`,
      'OR_ERR_PLUGIN_INVALID',
    );
  }
  const d = def as PluginDefinition;
  if (d.name !== manifest.name) {
    throw new PluginError(
      manifest.name,
      `definePlugin name "${d.name}" differs from package.json openred.name "${manifest.name}"`,
      'OR_ERR_PLUGIN_INVALID',
    );
  }
  if (typeof d.version !== 'string' || !/^\d+\.\d+\.\d+/.test(d.version)) {
    throw new PluginError(manifest.name, `version must be a semantic version`, 'OR_ERR_PLUGIN_INVALID');
  }
  if (
    d.dependsOn !== undefined &&
    (!Array.isArray(d.dependsOn) || d.dependsOn.some((x) => typeof x !== 'string'))
  ) {
    throw new PluginError(
      manifest.name,
      `dependsOn must be an array of plugin names`,
      'OR_ERR_PLUGIN_INVALID',
    );
  }
  if (d.config !== undefined && (typeof d.config !== 'object' || d.config === null)) {
    throw new PluginError(manifest.name, `config must be a JSON Schema object`, 'OR_ERR_PLUGIN_INVALID');
  }
  return d;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? 'unknown error';
}
