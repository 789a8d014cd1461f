/** Inline mode: the agent's code in the node process (no isolation; see engine.ts). */
import { CryptoError } from '../../errors.js';
import { AgentCore } from './agent-core.js';
import { BaseCryptoEngine } from './base-engine.js';
import { dispatch } from './dispatch.js';
import type { AgentOp } from './protocol.js';

export class InlineCryptoEngine extends BaseCryptoEngine {
  readonly isolation = 'inline' as const;
  #core: AgentCore | undefined;

  async start(): Promise<void> {
    if (this.#core !== undefined) return;
    const { dir, ...config } = this.initArgs();
    this.#core = await AgentCore.open({ dir, ...config });
    this.setIdentity({ nodeId: this.#core.nodeId, publicKeys: this.#core.publicKeys });
  }

  async stop(): Promise<void> {
    this.#core?.close();
    this.#core = undefined;
  }

  protected async call(op: AgentOp, args: Record<string, unknown>): Promise<unknown> {
    if (this.#core === undefined)
      throw new CryptoError('OR_ERR_AGENT_UNAVAILABLE', 'engine not started', 503);
    return dispatch(this.#core, op, args);
  }
}
