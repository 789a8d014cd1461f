/**
 * Entry point of the crypto agent child process (started by agent-client.ts through fork(), usually inside a
 * sandbox). It waits for 'init' (key folder, unlock secret, pinned directory key), loads the keys, then serves
 * requests until the IPC channel closes -- when the node process dies, the agent exits with it.
 */
import { CryptoError, isOpenRedError } from '../../errors.js';
import { AgentCore } from './agent-core.js';
import { dispatch } from './dispatch.js';
import {
  toWireError,
  type AgentRequest,
  type AgentResponse,
  type InitArgs,
  type InitResult,
} from './protocol.js';

let core: AgentCore | undefined;

function reply(msg: AgentResponse): void {
  if (process.connected) process.send!(msg, undefined, undefined, () => undefined);
}

async function handle(req: AgentRequest): Promise<unknown> {
  if (req.op === 'init') {
    if (core !== undefined) throw new Error('already initialised');
    const args = req.args as unknown as InitArgs;
    try {
      core = await AgentCore.open(args);
    } catch (err) {
      if (isOpenRedError(err)) throw err;
      // File-system errors: their message names a path, never key material.
      throw new CryptoError('OR_ERR_AGENT_INIT', `cannot load node keys: ${(err as Error).message}`, 500);
    }
    const result: InitResult = { nodeId: core.nodeId, publicKeys: core.publicKeys };
    return result;
  }
  if (core === undefined) throw new Error('not initialised');
  return dispatch(core, req.op, req.args);
}

process.on('message', (req: AgentRequest) => {
  if (typeof req !== 'object' || req === null || typeof req.id !== 'number') return;
  handle(req).then(
    (result) => reply({ id: req.id, ok: true, result }),
    (err: unknown) => reply({ id: req.id, ok: false, error: toWireError(err) }),
  );
});

process.on('disconnect', () => {
  core?.close();
  process.exit(0);
});

if (typeof process.send !== 'function') {
  console.error('the crypto agent must be started by the node process (no IPC channel)');
  process.exit(2);
}

// The node owns the agent's lifetime: the agent exits when the IPC channel closes (above) or its parent dies
// (bwrap --die-with-parent). Ctrl-C or `kill -TERM -<pgid>` reach the whole process group, and an agent that
// died on that signal would be "restarted" by a node that is itself shutting down, so they are ignored here.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
