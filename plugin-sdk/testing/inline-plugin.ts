/**
 * Lets `createTestNode({ plugin })` load a definition object that has no folder of its own: the kit writes a
 * two-line plugin folder whose entry reads the definition back from a process-wide table. The kernel then
 * loads it exactly like any other plugin (manifest, config validation, setup, generations).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PluginDefinition } from '../define-plugin.js';

const TABLE = Symbol.for('openred.testing.inline-plugins');
type Table = Map<string, PluginDefinition>;

function table(): Table {
  const g = globalThis as Record<symbol, Table | undefined>;
  return (g[TABLE] ??= new Map());
}

let counter = 0;

/** Writes `<parent>/<name>/` for `definition`; returns a function that forgets it again. */
export async function writeInlinePlugin(parent: string, definition: PluginDefinition): Promise<() => void> {
  const key = `${definition.name}#${process.pid}.${++counter}`;
  table().set(key, definition);
  const dir = join(parent, definition.name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name: `openred-inline-${definition.name}`,
      version: definition.version,
      private: true,
      type: 'module',
      openred: { name: definition.name, entry: './index.js' },
    }),
  );
  await writeFile(
    join(dir, 'index.js'),
    `export default globalThis[Symbol.for('openred.testing.inline-plugins')].get(${JSON.stringify(key)});\n`,
  );
  return () => table().delete(key);
}
