/** Starts and stops directory-child.ts processes and asks them for their memory. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { DirectoryOptions } from '../../core/directory/options.js';

const CHILD = join(import.meta.dirname, 'directory-child.ts');

export interface DirectoryChild {
  url: string;
  publicKey: string;
  child: ChildProcess;
  /** RSS and heap in use after a full GC, bytes. */
  memory(): Promise<NodeJS.MemoryUsage>;
  stop(): Promise<void>;
}

function nextMessage<T>(
  child: ChildProcess,
  pick: (m: Record<string, unknown>) => T | undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      const v = pick(m as Record<string, unknown>);
      if (v === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(v);
    };
    const onExit = (code: number | null): void => reject(new Error(`directory process exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function forkDirectory(options: DirectoryOptions): Promise<DirectoryChild> {
  const child = fork(CHILD, [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const ready = await nextMessage(child, (m) =>
    typeof m.url === 'string' ? (m as { url: string; publicKey: string }) : undefined,
  );
  return {
    ...ready,
    child,
    memory: () => {
      const answer = nextMessage(child, (m) => m.memory as NodeJS.MemoryUsage | undefined);
      child.send('memory');
      return answer;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
      process.off('exit', killOnExit);
    },
  };
}
