/** The owner API's answers, as far as the console reads them (see docs/modules/*.md for the full shapes). */

export interface NodeStatus {
  node_id: string;
  name: string | null;
  version?: string;
}

export interface DirectoryMember {
  node_id: string;
  status: string;
  last_seen: number;
}

export interface PeerSession {
  id?: string;
  peer: string;
  method: string;
  epoch: number;
  establishedAt: number;
  lastActivityAt: number;
  role: 'initiator' | 'responder';
}

export interface InboxMessage {
  id: string;
  from: string;
  seq: number;
  body: string;
  sent_at: number;
  received_at: number;
  read_at: number | null;
}

export type DeliveryState = 'queued' | 'delivered' | 'failed';

export interface OutboxMessage {
  id: string;
  to: string;
  seq: number;
  body: string;
  created_at: number;
  state: DeliveryState;
  attempts: number;
  last_error: string | null;
  delivered_at: number | null;
}

export interface InboxStats {
  total: number;
  unread: number;
  peers: Record<string, { count: number; unread: number }>;
}

export interface Share {
  file_id: string;
  link: string;
  name: string;
  size: number;
  sha256: string;
  peer: string;
  created_at: number;
  expires_at: number;
  max_downloads: number;
  downloads: number;
  state: 'active' | 'exhausted' | 'expired' | 'revoked';
}

export interface Download {
  id: string;
  peer: string;
  name: string;
  size: number;
  sha256: string;
  target: string;
  state: 'running' | 'interrupted' | 'done' | 'failed' | 'cancelled';
  bytes: number;
  rate_bps: number;
  finished_at: number | null;
  error: { code: string; message: string } | null;
}

export interface PluginInfo {
  name: string;
  version: string | null;
  state: 'active' | 'failed' | 'disabled';
  lastError: string | null;
  reloads: number;
  loadedAt: number | null;
}

export interface Health {
  status: 'ok' | 'degraded' | 'failing';
  components: {
    crypto: { state: string; isolation: string; latency_ms: number | null; error: string | null };
    directory: { state: string; url: string | null; registered: boolean; error: string | null };
    sessions: { state: string; open: number };
    stores: Record<string, { state: string }>;
    kernel: { state: string; uptime_ms: number; version: string };
  };
}

export interface HistoryPoint {
  t: number;
  requests: number;
  errors: number;
  latency_ms: number;
  latency_max_ms: number;
  sessions: number;
  bytes_in: number;
  bytes_out: number;
}

export interface AuditEntry {
  seq: number;
  ts: number;
  event: string;
  source: string;
  data: Record<string, unknown>;
}

export interface AuditVerify {
  ok: boolean;
  files: string[];
  entries: number;
  last_seq: number;
  problem: { code: string; message?: string; file?: string; line?: number } | null;
}
