/**
 * The node process's side of the crypto agent: forks it (through the sandbox plan), initialises it, and turns
 * calls into IPC requests with a timeout each. If the agent dies, every call in flight is rejected at once with
 * OR_ERR_AGENT_UNAVAILABLE (never left hanging) and the agent is restarted with backoff; calls made meanwhile
 * wait for the restart within their own timeout. An agent that keeps dying (more than `maxRestarts` in
 * `restartWindowMs`) is left down until the window has passed, calls failing fast meanwhile, then started
 * again. A restarted agent must report the same node id.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { CryptoError } from '../../errors.js';
import {
  fromWireError,
  type AgentOp,
  type AgentResponse,
  type InitArgs,
  type InitResult,
} from './protocol.js';
import { AGENT_ENTRY, type AgentLaunchPlan } from './sandbox.js';

export interface AgentClientOptions {
  plan: AgentLaunchPlan;
  init: InitArgs;
  callTimeoutMs: number;
  startTimeoutMs: number;
  /** Restarts allowed within `restartWindowMs` before giving up (default 5 per minute). */
  maxRestarts?: number;
  restartWindowMs?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

interface InFlight {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

const unavailable = (why: string): CryptoError =>
  new CryptoError('OR_ERR_AGENT_UNAVAILABLE', `crypto agent unavailable: ${why}`, 503);

export class AgentClient {
  readonly #opts: AgentClientOptions;
  #child: ChildProcess | undefined;
  #nextId = 1;
  readonly #inflight = new Map<number, InFlight>();
  #ready: Promise<InitResult> | undefined;
  #identity: InitResult | undefined;
  #stopping = false;
  #restarts: number[] = [];
  #consecutiveTimeouts = 0;

  constructor(opts: AgentClientOptions) {
    this.#opts = opts;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the agent and resolves with its identity once the keys are loaded. */
  start(): Promise<InitResult> {
    this.#stopping = false;
    this.#ready = this.#spawn();
    return this.#ready;
  }

  async #spawn(): Promise<InitResult> {
    const { plan } = this.#opts;
    const child = fork(plan.entry ?? AGENT_ENTRY, [], {
      execPath: plan.execPath,
      execArgv: plan.execArgv,
      env: plan.env,
      cwd: plan.cwd,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child = child;
    if (this.#stopping) {
      // stop() ran while this (re)start was pending: do not leave an agent behind.
      child.kill('SIGKILL');
      throw unavailable('stopped');
    }
    child.on('message', (m: AgentResponse) => this.#onMessage(m));
    child.once('exit', (code, signal) => this.#onExit(child, code, signal));
    child.on('error', (err) => this.#opts.log?.('error', `crypto agent process error: ${err.message}`));
    const identity = (await this.#request(
      child,
      'init',
      this.#opts.init as never,
      this.#opts.startTimeoutMs,
    )) as InitResult;
    if (this.#identity !== undefined && identity.nodeId !== this.#identity.nodeId) {
      child.kill('SIGKILL');
      throw new CryptoError('OR_ERR_AGENT_IDENTITY', 'restarted crypto agent reports another node id', 500);
    }
    this.#identity = identity;
    return identity;
  }

  #onMessage(m: AgentResponse): void {
    const f = this.#inflight.get(m?.id);
    if (f === undefined) return; // answered after its timeout
    this.#inflight.delete(m.id);
    clearTimeout(f.timer);
    this.#consecutiveTimeouts = 0;
    if (m.ok) f.resolve(m.result);
    else f.reject(fromWireError(m.error));
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child === child) this.#child = undefined;
    for (const [id, f] of this.#inflight) {
      clearTimeout(f.timer);
      f.reject(unavailable(`agent exited (${signal ?? code})`));
      this.#inflight.delete(id);
    }
    if (this.#stopping) return;
    this.#opts.log?.('warn', `crypto agent exited (${signal ?? code}); restarting`);
    const now = Date.now();
    const window = this.#opts.restartWindowMs ?? 60_000;
    this.#restarts = this.#restarts.filter((t) => now - t < window);
    if (this.#restarts.length >= (this.#opts.maxRestarts ?? 5)) {
      // Calls fail fast until the window has passed, then one more start is tried. Giving up for good would
      // leave a node that looks alive to its supervisor but can never sign or handshake again.
      const retryInMs = Math.max(0, window - (now - this.#restarts[0]!));
      this.#opts.log?.('error', `crypto agent keeps dying; next start in ${Math.ceil(retryInMs / 1000)} s`);
      const failed = Promise.reject(unavailable('agent keeps dying'));
      failed.catch(() => undefined);
      this.#ready = failed;
      setTimeout(() => {
        if (this.#stopping || this.#ready !== failed) return;
        this.#restarts.push(Date.now());
        this.#ready = this.#spawn();
        this.#ready.catch((err: Error) =>
          this.#opts.log?.('error', `crypto agent restart failed: ${err.message}`),
        );
      }, retryInMs).unref();
      return;
    }
    this.#restarts.push(now);
    const delay = Math.min(100 * 2 ** (this.#restarts.length - 1), 5_000);
    this.#ready = new Promise<void>((r) => setTimeout(r, delay).unref()).then(() => {
      if (this.#stopping) throw unavailable('stopped');
      return this.#spawn();
    });
    this.#ready.catch((err: Error) =>
      this.#opts.log?.('error', `crypto agent restart failed: ${err.message}`),
    );
  }

  #request(
    child: ChildProcess,
    op: AgentOp,
    args: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      const timer = setTimeout(() => {
        this.#inflight.delete(id);
        reject(unavailable(`${op} timed out after ${timeoutMs} ms`));
        // A hung agent (not a dead one) would otherwise time out every call forever.
        if (++this.#consecutiveTimeouts >= 3 && this.#child === child) child.kill('SIGKILL');
      }, timeoutMs);
      this.#inflight.set(id, { resolve, reject, timer });
      try {
        child.send({ id, op, args }, (err) => {
          if (err && this.#inflight.delete(id)) {
            clearTimeout(timer);
            reject(unavailable('cannot reach agent'));
          }
        });
      } catch {
        this.#inflight.delete(id);
        clearTimeout(timer);
        reject(unavailable('cannot reach agent'));
      }
    });
  }

  /** Sends one request; waits for a (re)starting agent within the same timeout. */
  async call(
    op: AgentOp,
    args: Record<string, unknown>,
    timeoutMs = this.#opts.callTimeoutMs,
  ): Promise<unknown> {
    if (this.#ready === undefined || this.#stopping) throw unavailable('not started');
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable('not ready')), timeoutMs);
    });
    try {
      await Promise.race([this.#ready, timeout]);
    } catch (err) {
      throw err instanceof CryptoError ? err : unavailable('restart failed');
    } finally {
      clearTimeout(timer);
    }
    const child = this.#child;
    if (child === undefined || !child.connected) throw unavailable('agent not running');
    return this.#request(child, op, args, Math.max(1, deadline - Date.now()));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    if (child.connected)
      child.disconnect(); // the agent exits when its channel closes
    else child.kill('SIGKILL');
    const t = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(t);
  }
}
