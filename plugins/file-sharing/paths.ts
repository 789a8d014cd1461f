import { constants } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, posix, resolve, sep, win32 } from 'node:path';
import { errors } from '@openred/plugin-sdk';

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_NAME_BYTES = 200;
const RESERVED_CHARS = '<>:"|?*';

/**
 * Makes a file name that came from elsewhere (a peer's metadata, a shared file's name) safe to create in a
 * folder: the last path component only, no control or reserved characters, no leading dot (no hidden file,
 * no `.` or `..`), no reserved device name, at most 200 UTF-8 bytes with the extension kept.
 */
export function sanitizeName(raw: string): string {
  let name = String(raw).normalize('NFC');
  name = name.split(/[/\\]/).pop() ?? '';
  name = [...name]
    .map((ch) => (ch < ' ' || ch === '\u007f' || RESERVED_CHARS.includes(ch) ? '_' : ch))
    .join('');
  name = name.trim().replace(/[. ]+$/, '');
  name = name.replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  if (name === '') name = 'download';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    let room = MAX_NAME_BYTES - Buffer.byteLength(ext);
    let stem = '';
    for (const ch of name.slice(0, name.length - ext.length)) {
      room -= Buffer.byteLength(ch);
      if (room < 0) break;
      stem += ch;
    }
    name = stem + ext;
  }
  return name || 'download';
}

/**
 * Resolves a path the owner asked to share, relative to the share folder, refusing anything that could reach
 * outside it: absolute paths, `..` segments, NUL bytes, and symlinks (anywhere on the path) that resolve outside
 * the folder. Returns the real path of a regular file.
 */
export async function resolveShareSource(shareDir: string, requested: string): Promise<string> {
  if (typeof requested !== 'string' || requested.length === 0 || requested.includes('\0')) {
    throw errors.badRequest('OR_ERR_PATH_INVALID', 'path must be a non-empty relative path');
  }
  if (isAbsolute(requested) || posix.isAbsolute(requested) || win32.isAbsolute(requested)) {
    throw errors.badRequest(
      'OR_ERR_PATH_ABSOLUTE',
      'path must be relative to the share folder, not absolute',
    );
  }
  if (requested.split(/[/\\]/).includes('..')) {
    throw errors.badRequest('OR_ERR_PATH_TRAVERSAL', 'path must not contain ".." segments');
  }
  const root = await realpath(shareDir);
  let real: string;
  try {
    real = await realpath(resolve(root, requested));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw errors.notFound('OR_ERR_SOURCE_NOT_FOUND', `no file ${requested} in the share folder`);
    }
    if (code === 'ENAMETOOLONG' || code === 'ELOOP') {
      throw errors.badRequest('OR_ERR_PATH_INVALID', `path cannot be resolved (${code})`);
    }
    throw err;
  }
  if (!isInside(root, real)) {
    throw errors.forbidden('OR_ERR_PATH_OUTSIDE_SHARE', `${requested} resolves outside the share folder`);
  }
  if (!(await stat(real)).isFile()) {
    throw errors.badRequest('OR_ERR_NOT_A_FILE', `${requested} is not a regular file`);
  }
  return real;
}

export function isInside(root: string, path: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Open flags that refuse to follow a symlink in the last component (where the platform supports it). */
export const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
