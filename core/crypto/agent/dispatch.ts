/**
 * Maps an agent request to an AgentCore call. Shared by the child process (agent-main.ts) and inline mode, so
 * both run exactly the same code path after the transport. Arguments come from the node process and are
 * checked here only for shape: the AgentCore methods validate their meaning.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '../../errors.js';
import type { NodePublicKeys } from '../identity.js';
import type { AgentCore } from './agent-core.js';
import type { AgentDiagnostics, AgentOp } from './protocol.js';

const bytes = (v: unknown, what: string): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw new ValidationError(`${what} must be bytes`);
  return v;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new ValidationError(`${what} must be a string`);
  return v;
};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(`${what} must be a number`);
  return v;
};
const strings = (v: unknown, what: string): string[] => {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    throw new ValidationError(`${what} must be strings`);
  return v as string[];
};
const keys = (v: unknown): NodePublicKeys => v as NodePublicKeys; // checked by assertNodeIdMatchesKeys

function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('timeout', () => {
      s.destroy();
      resolve('error ETIMEDOUT');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? 'unknown'}`));
  });
}

export async function diagnostics(args: Record<string, unknown>): Promise<AgentDiagnostics> {
  if (typeof args.delayMs === 'number') await sleep(Math.min(args.delayMs, 60_000));
  const out: AgentDiagnostics = { pid: process.pid, interfaces: Object.keys(networkInterfaces()).sort() };
  const probe = args.connect as { host?: unknown; port?: unknown } | undefined;
  if (probe !== undefined) out.connect = await tryConnect(str(probe.host, 'host'), num(probe.port, 'port'));
  return out;
}

export async function dispatch(core: AgentCore, op: AgentOp, a: Record<string, unknown>): Promise<unknown> {
  switch (op) {
    case 'sign':
      return core.sign(bytes(a.data, 'data'));
    case 'deriveKey':
      return core.deriveKey(str(a.label, 'label'));
    case 'initiatorHandshake':
      return core.initiatorHandshake({
        token: a.token,
        peerKeys: keys(a.peerKeys),
        methods: strings(a.methods, 'methods'),
        nowMs: num(a.nowMs, 'nowMs'),
      });
    case 'initiatorFinish':
      return core.initiatorFinish({
        handshakeId: str(a.handshakeId, 'handshakeId'),
        reply: bytes(a.reply, 'reply'),
        nowMs: num(a.nowMs, 'nowMs'),
      });
    case 'abort':
      core.abort(str(a.handshakeId, 'handshakeId'));
      return null;
    case 'responderHandshake':
      return core.responderHandshake({
        token: a.token,
        message: bytes(a.message, 'message'),
        initiatorKeys: keys(a.initiatorKeys),
        methods: strings(a.methods, 'methods'),
        nowMs: num(a.nowMs, 'nowMs'),
      });
    case 'diagnostics':
      return diagnostics(a);
    default:
      throw new ValidationError(`unknown agent operation ${String(op)}`);
  }
}
