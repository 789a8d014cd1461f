import { open, readFile, stat, unlink } from 'node:fs/promises';
import { OpenRedError } from '../errors.js';

/**
 * A cross-process lock: an O_EXCL lock file holding the owner's pid. A lock whose pid is no longer alive
 * (a process killed with -9) is taken over. Bounded: gives up after `timeoutMs`.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(lockPath)) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new OpenRedError(
          'OR_ERR_STORE_LOCKED',
          `could not lock ${lockPath} within ${timeoutMs} ms`,
          503,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(50, 2 + attempt * 2)));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

async function isStale(lockPath: string): Promise<boolean> {
  try {
    const pid = Number(await readFile(lockPath, 'utf8'));
    // An empty lock file is one being created right now (open, then write pid): only stale if old.
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - (await stat(lockPath)).mtimeMs > 5000;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ESRCH' || code === 'ENOENT';
  }
}
