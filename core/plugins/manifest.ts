import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginError } from '../errors.js';
import { describeErrors, documentAjv } from '../http/validation.js';

/** What discovery reads from a plugin folder's package.json before loading any code. */
export interface PluginManifest {
  /** Package name (npm). */
  package: string;
  version: string;
  /** Plugin name: the key under `modules` in openred.config.ts. */
  name: string;
  /** Entry file, relative to the folder. */
  entry: string;
  dir: string;
}

const schema = {
  type: 'object',
  required: ['name', 'version', 'openred'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 214 },
    version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+(?:[-+][0-9A-Za-z.-]+)?$' },
    openred: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' },
        entry: {
          type: 'string',
          pattern: '^(\\./)?[A-Za-z0-9_./-]+\\.(ts|mts|js|mjs)$',
          default: './index.ts',
        },
      },
    },
  },
} as const;

const validate = documentAjv.compile(schema);

/** Reads and validates `<dir>/package.json`. Returns undefined if the folder is not an OpenRed plugin. */
export async function readManifest(dir: string): Promise<PluginManifest | undefined> {
  let raw: string;
  try {
    raw = await readFile(join(dir, 'package.json'), 'utf8');
  } catch {
    return undefined;
  }
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new PluginError(dir, `${join(dir, 'package.json')} is not valid JSON`, 'OR_ERR_PLUGIN_MANIFEST');
  }
  if (typeof pkg !== 'object' || pkg === null || !('openred' in pkg)) return undefined;
  return parseManifest(pkg, dir);
}

export function parseManifest(pkg: unknown, dir: string): PluginManifest {
  let copy: unknown;
  try {
    copy = structuredClone(pkg);
  } catch (err) {
    const why = `not plain data: ${(err as Error).message}`;
    throw new PluginError(dir, `invalid manifest: ${why}`, 'OR_ERR_PLUGIN_MANIFEST');
  }
  if (!validate(copy)) {
    const problems = describeErrors(validate.errors, 'package.json', '.');
    throw new PluginError(dir, `invalid manifest: ${problems.join('; ')}`, 'OR_ERR_PLUGIN_MANIFEST');
  }
  const p = copy as { name: string; version: string; openred: { name: string; entry: string } };
  if (p.openred.entry.split('/').includes('..')) {
    throw new PluginError(
      dir,
      'invalid manifest: openred.entry must stay inside the plugin folder',
      'OR_ERR_PLUGIN_MANIFEST',
    );
  }
  return { package: p.name, version: p.version, name: p.openred.name, entry: p.openred.entry, dir };
}
