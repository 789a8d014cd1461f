import { errors } from '@openred/plugin-sdk';
import { constants } from 'node:fs';
import { link, lstat, open, rename, stat, statfs, unlink } from 'node:fs/promises';

/** The part of an open file a download uses. */
export interface DownloadFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system calls a download makes, in one place: the real ones in production, a fault-injecting
 * version in tests (a disk that fills up, a write that fails).
 */
export interface DownloadFs {
  /** Opens the temp file; `create` fails if it exists. Never follows a symlink in the last component. */
  openTemp(path: string, create: boolean): Promise<DownloadFile>;
  /** Type of what is at `path` without following a final symlink, or undefined if nothing is there. */
  kind(path: string): Promise<'file' | 'dir' | 'other' | undefined>;
  /** True when `path` is a directory (following symlinks: a linked folder given by the owner is fine). */
  isDir(path: string): Promise<boolean>;
  /** Makes `to` name the file at `from` only if `to` does not exist, then removes `from`. */
  publish(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Bytes available to this user on the file system holding `dir`, if known. */
  available(dir: string): Promise<number | undefined>;
}

export const nodeFs: DownloadFs = {
  async openTemp(path, create) {
    const flags = create
      ? constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0)
      : constants.O_RDWR | (constants.O_NOFOLLOW ?? 0);
    return open(path, flags, 0o600);
  },
  async kind(path) {
    try {
      const st = await lstat(path);
      return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ENAMETOOLONG' || code === 'ELOOP' || code === 'ENOTDIR') {
        throw errors.badRequest('OR_ERR_TARGET_INVALID', `${path} cannot be used as a target (${code})`);
      }
      throw err;
    }
  },
  async isDir(path) {
    try {
      return (await stat(path)).isDirectory();
    } catch {
      return false;
    }
  },
  async publish(from, to) {
    try {
      // link() fails with EEXIST instead of replacing: an existing file (or symlink) is never clobbered.
      await link(from, to);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw err;
      // File systems without hard links: check, then rename (a small window, only on such file systems).
      if (await nodeFs.kind(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
      await rename(from, to);
      return;
    }
    await unlink(from);
  },
  async remove(path) {
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  },
  async available(dir) {
    try {
      const s = await statfs(dir);
      return s.bavail * s.bsize;
    } catch {
      return undefined;
    }
  },
};
