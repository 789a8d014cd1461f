import type { PluginContext } from './context.js';

/**
 * The event plugins emit to have something written to the node's audit log (the monitoring module records
 * it: hash-chained, signed with the node key, node ids keyed-hashed, encrypted at rest). Kernel security
 * events (`session.established`, `session.failed`, `token.received`, `token.expired`, `token.rejected`,
 * `plugin.loaded`, `plugin.failed`, `plugin.unloaded`, `config.changed`) are recorded without plugins doing
 * anything.
 */
export const AUDIT_EVENT = 'audit.record';

/** The payload of {@link AUDIT_EVENT}. */
export interface AuditRecord {
  /** The plugin that reports it. */
  source: string;
  /** Dotted name, e.g. `auth.login.failed`, `file.shared`. */
  event: string;
  /**
   * Details: small JSON values. Node ids anywhere in it are replaced by a keyed hash before writing. Never
   * put secrets here (passwords, codes, tokens).
   */
  data?: Record<string, unknown>;
}

/**
 * Records a security event in the audit log (a no-op when no monitoring module runs).
 *
 * @example
 * recordAudit(ctx, 'file.shared', { peer, file_id, expires_at });
 */
export function recordAudit(
  ctx: Pick<PluginContext, 'name' | 'events'>,
  event: string,
  data: Record<string, unknown> = {},
): void {
  ctx.events.emit<AuditRecord>(AUDIT_EVENT, { source: ctx.name, event, data });
}
