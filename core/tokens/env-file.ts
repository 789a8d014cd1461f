/**
 * The token file's format (DESIGN.md section 7): a `.env`-style file, one entry per line,
 * `OPENRED_TOKEN_<grant_id>=encrypted:<scheme>:<base64>`. Comments and blank lines are kept out; unknown or
 * malformed lines are reported, not silently dropped.
 */
export const TOKEN_PREFIX = 'OPENRED_TOKEN_';
const LINE = /^OPENRED_TOKEN_([A-Za-z0-9_-]{8,64})=encrypted:([a-z0-9-]+):([A-Za-z0-9+/=]+)$/;

export interface EnvEntry {
  grantId: string;
  scheme: string;
  sealed: string;
}

export function parseEnvFile(text: string): { entries: EnvEntry[]; malformed: number[] } {
  const entries: EnvEntry[] = [];
  const malformed: number[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) malformed.push(i + 1);
    else entries.push({ grantId: m[1]!, scheme: m[2]!, sealed: m[3]! });
  });
  return { entries, malformed };
}

export function serializeEnvFile(entries: Iterable<EnvEntry>): string {
  const lines = ['# OpenRed connection tokens. Encrypted at rest; managed by the node.'];
  for (const e of entries) lines.push(`${TOKEN_PREFIX}${e.grantId}=encrypted:${e.scheme}:${e.sealed}`);
  return lines.join('\n') + '\n';
}
