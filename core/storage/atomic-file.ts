/**
 * Writing files so that a crash (even `kill -9` or power loss) leaves either the old or the new content:
 * created 0600 from the first byte (never chmod after the fact), fsynced, then put in place with a rename
 * (replace) or a hard link (create-once, so two processes racing to create a key cannot both "win"), and the
 * folder fsynced. Async for data stores, sync for key files at start-up.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, mkdir } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { CryptoError } from '../errors.js';

/**
 * Writes a file so that a crash (even `kill -9` or power loss) leaves either the old or the new content:
 * write a temp file in the same folder, fsync it, rename over the target, fsync the folder. The mode is set at
 * creation, so a secret file is never readable by others, not even briefly.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDirAsync(dir);
}

async function fsyncDirAsync(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    await fh.sync().catch(() => undefined);
    await fh.close();
  } catch {
    /* some filesystems refuse fsync on directories; the rename is still atomic */
  }
}

function tempPath(file: string): string {
  return join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * fsync, except where the host forbids it: Node 20's permission model (the agent's 'netns+permission' sandbox)
 * disables fsync entirely. The rename/link that follows is still atomic; only durability across a power
 * loss is weaker there.
 */
function fsyncIfAllowed(fd: number): void {
  try {
    fsyncSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_ACCESS_DENIED') throw err;
  }
}

function writeTemp(file: string, data: Uint8Array): string {
  const tmp = tempPath(file);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, data);
    fsyncIfAllowed(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  }
}

/** Creates `dir` (0700) if missing. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Replaces `file` atomically with `data`, mode 0600. */
export function writeFileAtomicSync(file: string, data: Uint8Array): void {
  const tmp = writeTemp(file, data);
  try {
    renameSync(tmp, file);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  fsyncDir(dirname(file));
}

/**
 * Creates `file` with `data` (mode 0600) only if it does not exist. Returns false when another writer got there
 * first (the caller should then read that file instead of its own candidate).
 */
export function createFileExclusiveSync(file: string, data: Uint8Array): boolean {
  const tmp = writeTemp(file, data);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
    fsyncDir(dirname(file));
  }
}

/**
 * Refuses secret files that other users can read or write (the same rule ssh applies to private keys): a key
 * that has been readable by others must be treated as disclosed, and silently tightening it would hide that.
 */
export function assertPrivateFile(file: string): void {
  const st = statSync(file);
  if (!st.isFile()) throw new CryptoError('OR_ERR_KEY_FILE', `${file} is not a regular file`, 500);
  if ((st.mode & 0o077) !== 0) {
    throw new CryptoError(
      'OR_ERR_KEY_PERMISSIONS',
      `${file} is accessible by other users (mode ${(st.mode & 0o777).toString(8)}); expected 600`,
      500,
    );
  }
}
