// Where OpenRed keeps what it builds at run time (the CLI bundle, the crypto agent's bundle), and how it writes
// there. Plain JS: the launcher uses it before any TypeScript can be loaded; the kernel imports it too.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The highest ancestor of `from` holding a node_modules folder: the repository (or the installed package). */
export function codeRoot(from) {
  let dir = from;
  let found = from;
  for (;;) {
    try {
      if (existsSync(join(dir, 'node_modules'))) found = dir;
    } catch {
      // under Node's permission model, probing an unreadable ancestor throws: it is not ours then
    }
    const up = dirname(dir);
    if (up === dir) return found;
    dir = up;
  }
}

/** `node_modules/.cache/openred` under the code root of `from`. */
export function buildCacheDir(from) {
  return join(codeRoot(from), 'node_modules', '.cache', 'openred');
}

/** Writes `data` under a temp name and renames it, so a concurrent reader never sees half a file. */
export function writeFileAtomicSync(file, data) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o644 });
  renameSync(tmp, file);
}

/**
 * Stores `code` as `<dir>/<prefix>-<sha256 prefix>.mjs` unless that file already exists, and returns its path.
 * Named by content, so nodes built from the same sources share one file and never overwrite a different one.
 */
export function writeContentAddressed(dir, prefix, code) {
  const file = join(dir, `${prefix}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) writeFileAtomicSync(file, code);
  return file;
}

/**
 * Removes `<prefix>-<hash>.mjs` files of `dir` other than `keep` once they are `maxAgeMs` old: one is written per
 * edit of the sources, and they would pile up. The age leaves alone a file a starting node has just chosen;
 * a long-running node whose file goes away builds it again when it needs it (see the crypto agent).
 */
export function pruneStale(dir, prefix, keep, maxAgeMs = 3_600_000) {
  const name = new RegExp(`^${prefix}-[0-9a-f]{16}\\.mjs$`);
  let files;
  try {
    files = readdirSync(dir);
  } catch {
    return;
  }
  for (const f of files) {
    const path = join(dir, f);
    if (!name.test(f) || path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > maxAgeMs) unlinkSync(path);
    } catch {
      // gone already, or not ours to remove
    }
  }
}
