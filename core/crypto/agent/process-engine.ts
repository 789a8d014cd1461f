/**
 * Process mode: the keys live in the sandboxed crypto agent. If no sandbox works on this host, the engine falls
 * back to running the agent inline and says so loudly (and in `isolation`), unless the operator disabled the
 * fallback, in which case start() fails.
 */
import { mkdirSync } from 'node:fs';
import { CryptoError } from '../../errors.js';
import { AgentClient } from './agent-client.js';
import { AgentCore } from './agent-core.js';
import { BaseCryptoEngine } from './base-engine.js';
import { dispatch } from './dispatch.js';
import type { AgentDiagnostics, AgentOp } from './protocol.js';
import { planAgentLaunch, resolveIsolation, type IsolationLevel } from './sandbox.js';

export class ProcessCryptoEngine extends BaseCryptoEngine {
  #isolation: IsolationLevel = 'inline';
  #client: AgentClient | undefined;
  #core: AgentCore | undefined;

  get isolation(): IsolationLevel {
    return this.#isolation;
  }

  /** The agent's pid (undefined in the inline fallback). */
  get agentPid(): number | undefined {
    return this.#client?.pid;
  }

  async start(): Promise<void> {
    if (this.#client !== undefined || this.#core !== undefined) return;
    const log = this.opts.log ?? ((level, msg) => console.error(`[crypto ${level}] ${msg}`));
    const level = resolveIsolation(this.opts.isolation ?? 'auto');
    if (level === 'inline') {
      if (this.opts.allowInlineFallback === false) {
        throw new CryptoError(
          'OR_ERR_AGENT_ISOLATION',
          'no sandbox for the crypto agent works on this host',
          500,
        );
      }
      log(
        'warn',
        'WARNING: neither bubblewrap nor an unprivileged network namespace works on this host; the crypto agent ' +
          'runs INSIDE the node process, so private keys share memory with the network-facing code',
      );
      const { dir, ...config } = this.initArgs();
      this.#core = await AgentCore.open({ dir, ...config });
      this.#isolation = 'inline';
      this.setIdentity({ nodeId: this.#core.nodeId, publicKeys: this.#core.publicKeys });
      return;
    }
    // bwrap mounts the key folder, so it must exist; creating it needs no read access to its contents.
    try {
      mkdirSync(this.opts.keyDir, { recursive: true, mode: 0o700 });
    } catch {
      // the agent reports a clearer error if the folder is really unusable
    }
    const client = new AgentClient({
      plan: planAgentLaunch(level, {
        keyDir: this.opts.keyDir,
        ...(this.opts.extraReadPaths === undefined ? {} : { extraReadPaths: this.opts.extraReadPaths }),
      }),
      init: this.initArgs(),
      callTimeoutMs: this.opts.callTimeoutMs ?? 5_000,
      startTimeoutMs: this.opts.startTimeoutMs ?? 20_000,
      log,
    });
    try {
      this.setIdentity(await client.start());
    } catch (err) {
      await client.stop();
      throw err;
    }
    this.#client = client;
    this.#isolation = level;
  }

  async stop(): Promise<void> {
    await this.#client?.stop();
    this.#client = undefined;
    this.#core?.close();
    this.#core = undefined;
  }

  /** What the agent sees of its environment; `connect` asks it to try a TCP connection (isolation checks). */
  async diagnostics(
    opts: { connect?: { host: string; port: number }; delayMs?: number } = {},
  ): Promise<AgentDiagnostics> {
    return (await this.call('diagnostics', { ...opts })) as AgentDiagnostics;
  }

  protected async call(op: AgentOp, args: Record<string, unknown>): Promise<unknown> {
    if (this.#core !== undefined) return dispatch(this.#core, op, args);
    if (this.#client === undefined)
      throw new CryptoError('OR_ERR_AGENT_UNAVAILABLE', 'engine not started', 503);
    return this.#client.call(op, args);
  }
}
