/**
 * Child processes for benchmarks: start one that prints a JSON document on stdout when ready (`openred start
 * --json`, a baseline server), read its CPU time from /proc, and stop it without leaving it behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Spawns `node ...args` and resolves with the first complete JSON object it prints. */
export function spawnJson(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const start = out.indexOf('{');
      const end = out.indexOf('}\n', start);
      if (start !== -1 && end > start) {
        try {
          resolvePromise({ child, info: JSON.parse(out.slice(start, end + 1)) });
        } catch {
          /* not complete yet */
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

/** utime + stime of a process in microseconds (Linux /proc; NaN elsewhere). */
export function cpuMicros(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when every child has exited. */
export function stopChildren(children: ChildProcess[], graceMs = 5000): Promise<void> {
  return Promise.all(
    children.map(
      (c) =>
        new Promise<void>((done) => {
          if (c.exitCode !== null || c.signalCode !== null) return done();
          const force = setTimeout(() => c.kill('SIGKILL'), graceMs);
          c.once('exit', () => {
            clearTimeout(force);
            done();
          });
          c.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}
