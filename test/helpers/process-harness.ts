/**
 * Runs the real `openred` CLI in child processes. `startCli` waits for the JSON document `start --json`
 * prints once the node listens; every process started here is tracked and `killAll()` ends the ones still
 * running (call it in afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './node-harness.js';

export const cliPath = join(repoRoot, 'core', 'bin', 'openred.js');

const running = new Set<ChildProcess>();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and waits for the exit, at most `timeoutMs` (then SIGKILL, and the test fails). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<Exit> {
    if (!this.alive) return this.exited;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`process did not exit within ${timeoutMs} ms after ${signal}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Spawns `node core/bin/openred.js ...args`. Nodes started this way answer owner routes without login
 * (OPENRED_ALLOW_ANONYMOUS_OWNER_API=1) unless `env` sets that variable to '' (owner login tests).
 */
export function spawnCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: {
      ...process.env,
      OPENRED_LOG_LEVEL: 'error',
      OPENRED_ALLOW_ANONYMOUS_OWNER_API: '1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  return new CliProcess(child);
}

/** Runs a one-shot command to completion (bounded). */
export async function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const p = spawnCli(args, options);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      p.child.kill('SIGKILL');
      reject(new Error(`openred ${args.join(' ')} did not finish; stderr: ${p.stderr}`));
    }, options.timeoutMs ?? 15_000);
  });
  try {
    const exit = await Promise.race([p.exited, timeout]);
    return { ...exit, stdout: p.stdout, stderr: p.stderr };
  } finally {
    clearTimeout(timer);
  }
}

export interface StartedNode {
  process: CliProcess;
  info: { node_id: string; p2p: string; api: string; isolation: string };
  /** Milliseconds from spawn to the JSON document on stdout. */
  readyMs: number;
}

/** `openred start --config FILE --json`, resolved once the node prints its URLs. */
export async function startCli(
  configFile: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<StartedNode> {
  const t0 = performance.now();
  const p = spawnCli(['start', '--config', configFile, '--json'], { env: options.env });
  const deadline = t0 + (options.timeoutMs ?? 15_000);
  for (;;) {
    const info = startInfo(p.stdout);
    if (info) return { process: p, info: info as StartedNode['info'], readyMs: performance.now() - t0 };
    if (!p.alive) throw new Error(`openred start exited early: ${p.stderr || p.stdout}`);
    if (performance.now() > deadline) {
      await p.stop('SIGKILL');
      throw new Error(`openred start printed nothing in time; stderr: ${p.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The document `start --json` prints: the first complete line that is a JSON object with the node's id and
 * URLs. Log lines (JSON too, e.g. an error logged while the node was starting) are skipped.
 */
function startInfo(text: string): unknown {
  for (const line of text.split('\n').slice(0, -1)) {
    if (!line.startsWith('{')) continue;
    try {
      const doc = JSON.parse(line) as Record<string, unknown>;
      if (typeof doc.node_id === 'string' && typeof doc.api === 'string') return doc;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}

/** The first complete JSON object in `text` (one line or pretty-printed). */
export function parseFirstJson(text: string): unknown {
  const start = text.indexOf('{');
  if (start === -1) return undefined;
  for (let end = text.indexOf('}', start); end !== -1; end = text.indexOf('}', end + 1)) {
    try {
      return JSON.parse(text.slice(start, end + 1));
    } catch {
      /* not complete yet */
    }
  }
  return undefined;
}

/** Ends every CLI process this harness started that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  running.clear();
}
