/**
 * One audit log entry and its on-disk form. An entry carries its sequence number, the hash of the entry
 * before it (`prev`), its own hash over everything else, and the node's Ed25519 signature of that hash. On
 * disk each entry is one line: base64url(iv || AES-256-GCM ciphertext || tag) of its JSON.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PluginHttpError } from '@openred/plugin-sdk';
import { canonical } from './canonical.js';

export const AUDIT_SIGNATURE_PURPOSE = 'monitoring/audit';
const LINE_AAD = Buffer.from('openred/audit-line/v1', 'utf8');
const HEAD_AAD = Buffer.from('openred/audit-head/v1', 'utf8');

export interface AuditEntry {
  v: 1;
  seq: number;
  /** Milliseconds since the Unix epoch (the node's clock). */
  ts: number;
  event: string;
  /** Who reported it: `kernel` or a plugin name. */
  source: string;
  data: Record<string, unknown>;
  /** Hash of the previous entry (hex); the first entry points at the genesis value of this node. */
  prev: string;
  /** SHA-256 (hex) of the canonical JSON of every field above. */
  hash: string;
  /** base64url Ed25519 signature (purpose `monitoring/audit`) over the 32 hash bytes. */
  sig: string;
}

export type UnsignedEntry = Omit<AuditEntry, 'hash' | 'sig'>;

/** Where the chain starts: tied to the node, so two nodes' logs cannot be spliced together. */
export function genesisHash(nodeId: string): string {
  return createHash('sha256').update(`openred/audit/genesis/v1\n${nodeId}`).digest('hex');
}

export function entryHash(e: UnsignedEntry): string {
  const { v, seq, ts, event, source, data, prev } = e;
  return createHash('sha256').update(canonical({ v, seq, ts, event, source, data, prev })).digest('hex');
}

export function sealLine(key: Buffer, entry: AuditEntry): string {
  return sealWith(key, Buffer.from(canonical(entry), 'utf8'), LINE_AAD);
}

/** The entry a line holds; throws when it does not decrypt (modified, truncated or foreign). */
export function openLine(key: Buffer, line: string): AuditEntry {
  return JSON.parse(openWith(key, line, LINE_AAD).toString('utf8')) as AuditEntry;
}

/** The newest entry as the writer last recorded it, kept apart from the log to detect truncation. */
export interface AuditHead {
  seq: number;
  hash: string;
  file: string;
}

export function sealHead(key: Buffer, head: AuditHead): string {
  return sealWith(key, Buffer.from(JSON.stringify(head), 'utf8'), HEAD_AAD);
}

export function openHead(key: Buffer, sealed: string): AuditHead {
  return JSON.parse(openWith(key, sealed, HEAD_AAD).toString('utf8')) as AuditHead;
}

function sealWith(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url');
}

function openWith(key: Buffer, text: string, aad: Buffer): Buffer {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]+$/.test(text)) throw corrupt('not base64url');
  const raw = Buffer.from(text, 'base64url');
  if (raw.length < 29) throw corrupt('too short');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(aad);
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  try {
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  } catch {
    throw corrupt('failed authentication');
  }
}

/** A line or head that is not what this key sealed: modified, truncated or foreign (a coded error). */
function corrupt(why: string): PluginHttpError {
  return new PluginHttpError('OR_ERR_AUDIT_CORRUPT', `audit record ${why}`, 500);
}

/** `audit-000042.log` ↔ 42. */
export function fileName(index: number): string {
  return `audit-${String(index).padStart(6, '0')}.log`;
}

export function fileIndex(name: string): number | undefined {
  const m = /^audit-(\d{6,})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
