/**
 * What goes into the audit log: the kernel's security events and whatever plugins report with
 * `recordAudit()` (and a few configured plugin events). Node ids anywhere in the details are replaced by a
 * keyed hash (HMAC-SHA-256 under a node-derived key), so the log links events about one peer without naming
 * it; `openred audit show --peer <id>` computes the same hash to filter.
 */
import { createHmac } from 'node:crypto';
import { AUDIT_EVENT, type AuditRecord } from '@openred/plugin-sdk';

const NODE_ID = /^or[a-z2-7]{32}$/;
const NODE_ID_ANYWHERE = /or[a-z2-7]{32}/g;
/** Keys never copied from a plugin's event into the log. */
const SECRET_KEY = /pass|secret|token|code|key|body|content|sig/i;
const MAX_STRING = 512;

/** Kernel events recorded as they are (their payloads are small and known). */
export const KERNEL_EVENTS = [
  'session.established',
  'session.failed',
  'token.received',
  'token.expired',
  'token.rejected',
  'plugin.loaded',
  'plugin.failed',
  'plugin.unloaded',
  'config.changed',
] as const;

export function hashNodeId(key: Buffer, id: string): string {
  return 'idh_' + createHmac('sha256', key).update(id).digest('hex').slice(0, 32);
}

/**
 * A JSON-safe copy of `value` with node ids hashed, long strings cut, depth and size bounded; with
 * `dropSecrets`, keys that look like secrets are left out.
 */
export function scrub(key: Buffer, value: unknown, dropSecrets: boolean, depth = 0): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') {
    const hashed = NODE_ID.test(value)
      ? hashNodeId(key, value)
      : value.replace(NODE_ID_ANYWHERE, (id) => hashNodeId(key, id));
    return hashed.length > MAX_STRING ? hashed.slice(0, MAX_STRING) + '…' : hashed;
  }
  if (depth >= 4) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(key, v, dropSecrets, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, 50)) {
      if (v === undefined || typeof v === 'function') continue;
      if (dropSecrets && SECRET_KEY.test(k)) continue;
      out[k] = scrub(key, v, dropSecrets, depth + 1);
    }
    return out;
  }
  return String(value);
}

export type Append = (event: string, source: string, data: Record<string, unknown>) => void;

/**
 * Subscribes to what is recorded; returns the unsubscribes. Kernel events keep their fields (ids hashed);
 * `extraEvents` from other plugins keep scalar fields minus anything secret-looking; `audit.record` payloads
 * are taken as the plugin wrote them (ids hashed, secret-looking keys dropped).
 */
export function subscribeAuditEvents(
  events: { on<T>(event: string, handler: (payload: T) => void): () => void },
  idKey: Buffer,
  extraEvents: readonly string[],
  append: Append,
): Array<() => void> {
  const offs: Array<() => void> = [];
  for (const event of KERNEL_EVENTS) {
    offs.push(
      events.on<Record<string, unknown>>(event, (payload) =>
        append(event, 'kernel', asRecord(scrub(idKey, payload ?? {}, false))),
      ),
    );
  }
  for (const event of extraEvents) {
    offs.push(
      events.on<Record<string, unknown>>(event, (payload) =>
        append(event, 'plugin', asRecord(scrub(idKey, scalars(payload), true))),
      ),
    );
  }
  offs.push(
    events.on<AuditRecord>(AUDIT_EVENT, (record) => {
      if (!record || typeof record.event !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(record.event))
        return;
      const source = typeof record.source === 'string' ? record.source.slice(0, 64) : 'unknown';
      append(record.event, source, asRecord(scrub(idKey, record.data ?? {}, true)));
    }),
  );
  return offs;
}

function scalars(payload: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof payload !== 'object' || payload === null) return out;
  for (const [k, v] of Object.entries(payload)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : { value: v };
}
