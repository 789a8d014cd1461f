/**
 * Starts a real directory process (`openred directory start --json`) and reads the JSON line it prints once
 * listening. stop() sends SIGTERM and waits for the exit; kill() is `kill -9`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const OPENRED_BIN = join(root, 'core/bin/openred.js');

export interface DirectoryProcess {
  url: string;
  port: number;
  publicKey: string;
  fingerprint: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9), no chance to flush anything. */
  kill(): Promise<void>;
}

export async function spawnDirectory(args: string[], timeoutMs = 30_000): Promise<DirectoryProcess> {
  const child = spawn(
    process.execPath,
    [OPENRED_BIN, 'directory', 'start', '--port', '0', '--host', '127.0.0.1', '--json', ...args],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPENRED_LOG_LEVEL: 'warn' } },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const info = await new Promise<{ url: string; port: number; public_key: string; fingerprint: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`directory did not start in time\n${err}`));
      }, timeoutMs);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n').find((l) => l.includes('"listening"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`directory exited with ${code}\n${err}`));
      });
    },
  );
  return {
    url: info.url,
    port: info.port,
    publicKey: info.public_key,
    fingerprint: info.fingerprint,
    child,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      process.off('exit', killOnExit);
      return code;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      process.off('exit', killOnExit);
    },
  };
}

/** Runs the CLI to completion (for commands expected to fail fast). */
export function runCli(
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OPENRED_BIN, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('CLI did not finish'));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
