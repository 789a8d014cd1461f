/**
 * A small file system for the disk-full scenario: a size-limited tmpfs mounted on a folder (needs root and
 * permission to mount, as in the CI container). `fill()` takes every free byte with a filler file and
 * `free()` removes it again.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

export class SmallDisk {
  private constructor(readonly dir: string) {}

  /** Mounts a tmpfs of `bytes` on `dir`, or answers why it cannot. */
  static mount(dir: string, bytes: number): SmallDisk | string {
    mkdirSync(dir, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], {
        stdio: 'pipe',
      });
      return new SmallDisk(dir);
    } catch (err) {
      return `cannot mount a tmpfs here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
    }
  }

  get filler(): string {
    return join(this.dir, 'filler');
  }

  freeBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Writes a filler file until the file system refuses (ENOSPC), down to single blocks. */
  fill(): void {
    const fd = openSync(this.filler, 'a');
    try {
      for (const size of [1024 * 1024, 64 * 1024, 4096, 512]) {
        const block = Buffer.alloc(size, 0xab);
        for (;;) {
          try {
            writeSync(fd, block);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  free(): void {
    rmSync(this.filler, { force: true });
  }

  unmount(): void {
    execFileSync('umount', ['-l', this.dir], { stdio: 'pipe' });
  }
}
