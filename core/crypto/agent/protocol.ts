/**
 * Messages between the node process and the crypto agent over the fork() IPC channel ('advanced'
 * serialization, so byte arrays cross as Uint8Array instead of base64 JSON). Every request carries an id;
 * every response answers exactly one id. Errors cross as {code, message, status} and are rebuilt as
 * CryptoErrors on the other side (never with the agent's stack or causes, which could carry secrets).
 */
import { CryptoError, isOpenRedError, ValidationError } from '../../errors.js';
import type { NodePublicKeys } from '../identity.js';
import type { ScryptParams } from '../key-store.js';

export type AgentOp =
  | 'init'
  | 'sign'
  | 'deriveKey'
  | 'initiatorHandshake'
  | 'initiatorFinish'
  | 'abort'
  | 'responderHandshake'
  | 'diagnostics';

export interface AgentRequest {
  id: number;
  op: AgentOp;
  args: Record<string, unknown>;
}

export interface WireError {
  code: string;
  message: string;
  status: number;
}

export type AgentResponse =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

export interface InitArgs {
  dir: string;
  passphrase?: string;
  scrypt?: ScryptParams;
  directoryPublicKey: string;
  handshakeTtlMs?: number;
  maxSkewSeconds?: number;
}

export interface InitResult {
  nodeId: string;
  publicKeys: NodePublicKeys;
}

/** What the agent can say about its own environment (used by /health and by the isolation tests). */
export interface AgentDiagnostics {
  pid: number;
  /** Network interface names the agent can see ([] or ['lo'] inside a fresh network namespace). */
  interfaces: string[];
  /** Outcome of a requested TCP connect: 'connected' or 'error <code>'. */
  connect?: string;
}

export function toWireError(err: unknown): WireError {
  if (isOpenRedError(err)) return { code: err.code, message: err.message, status: err.status };
  return { code: 'OR_ERR_AGENT', message: 'crypto agent internal error', status: 500 };
}

export function fromWireError(e: WireError): Error {
  if (e.code === 'OR_ERR_VALIDATION') return new ValidationError(e.message);
  return new CryptoError(e.code, e.message, e.status);
}
