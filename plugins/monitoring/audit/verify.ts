/**
 * Checks an audit log end to end and names the first problem with its exact position: every line decrypts,
 * sequence numbers run 1, 2, 3... without gaps or swaps (across files, whose numbers must also be
 * contiguous), each entry's hash matches its content and its `prev` matches the entry before, each signature
 * verifies with the node's public key, and the log reaches the sealed head (nothing cut off the end).
 */
import {
  AUDIT_SIGNATURE_PURPOSE,
  entryHash,
  fileName,
  openLine,
  type AuditEntry,
  type AuditHead,
} from './entry.js';
import { listLogFiles, readLines } from './files.js';

export type AuditProblemCode =
  | 'AUDIT_FILE_MISSING'
  | 'AUDIT_INCOMPLETE_LINE'
  | 'AUDIT_UNREADABLE'
  | 'AUDIT_MALFORMED'
  | 'AUDIT_ENTRY_MISSING'
  | 'AUDIT_REORDERED'
  | 'AUDIT_HASH_MISMATCH'
  | 'AUDIT_CHAIN_BROKEN'
  | 'AUDIT_BAD_SIGNATURE'
  | 'AUDIT_TRUNCATED'
  | 'AUDIT_HEAD_MISSING';

export interface AuditProblem {
  code: AuditProblemCode;
  message: string;
  /** File and 1-based line of the first bad entry (null when the problem is not at a line, e.g. truncation). */
  file: string | null;
  line: number | null;
  /** The sequence number expected at that position. */
  expected_seq: number | null;
  /** The sequence number found there, when the line could be read. */
  found_seq: number | null;
}

export interface VerifyReport {
  ok: boolean;
  files: string[];
  entries: number;
  last_seq: number;
  head_seq: number | null;
  problem: AuditProblem | null;
}

export interface VerifyOptions {
  dir: string;
  key: Buffer;
  genesis: string;
  /** The node's Ed25519 public key (base64url). */
  publicKey: string;
  verify(publicKey: string, purpose: string, data: Uint8Array, signature: Uint8Array): boolean;
  /** The sealed head, opened (undefined when missing or unreadable). */
  head: AuditHead | undefined;
}

interface Located {
  entry: AuditEntry;
  file: string;
  line: number;
}

export async function verifyAuditLog(o: VerifyOptions): Promise<VerifyReport> {
  const files = await listLogFiles(o.dir);
  const report = (problem: AuditProblem | null, entries = 0, lastSeq = 0): VerifyReport => ({
    ok: problem === null,
    files: files.map((f) => f.name),
    entries,
    last_seq: lastSeq,
    head_seq: o.head?.seq ?? null,
    problem,
  });
  const at = (
    code: AuditProblemCode,
    message: string,
    pos: { file?: string; line?: number; expected?: number; found?: number } = {},
  ): AuditProblem => ({
    code,
    message,
    file: pos.file ?? null,
    line: pos.line ?? null,
    expected_seq: pos.expected ?? null,
    found_seq: pos.found ?? null,
  });

  // 1. Read and decrypt everything, in file order; file numbers must be contiguous from the first.
  const all: Located[] = [];
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    const expectedIndex = i === 0 ? 1 : files[i - 1]!.index + 1;
    if (f.index !== expectedIndex) {
      return report(
        at('AUDIT_FILE_MISSING', `file ${fileName(expectedIndex)} is missing (deleted?) before ${f.name}`, {
          file: fileName(expectedIndex),
          expected: (all.at(-1)?.entry.seq ?? 0) + 1,
        }),
      );
    }
    const { lines, partial } = await readLines(f.path);
    for (const { n, text } of lines) {
      if (text === '') continue;
      let entry: AuditEntry;
      try {
        entry = openLine(o.key, text);
      } catch {
        return report(
          at('AUDIT_UNREADABLE', `${f.name} line ${n} does not decrypt: it was modified or corrupted`, {
            file: f.name,
            line: n,
            expected: (all.at(-1)?.entry.seq ?? 0) + 1,
          }),
        );
      }
      if (!isEntry(entry)) {
        return report(
          at('AUDIT_MALFORMED', `${f.name} line ${n} is not an audit entry`, { file: f.name, line: n }),
        );
      }
      all.push({ entry, file: f.name, line: n });
    }
    if (partial !== undefined) {
      return report(
        at('AUDIT_INCOMPLETE_LINE', `${f.name} ends inside line ${lines.length + 1} (cut short)`, {
          file: f.name,
          line: lines.length + 1,
          expected: (all.at(-1)?.entry.seq ?? 0) + 1,
        }),
      );
    }
  }

  // 2. Walk the chain.
  let expected = 1;
  let prev = o.genesis;
  for (let i = 0; i < all.length; i++) {
    const { entry: e, file, line } = all[i]!;
    const pos = { file, line, expected, found: e.seq };
    if (e.seq !== expected) {
      const elsewhere = all.find((x, j) => j > i && x.entry.seq === expected);
      if (elsewhere) {
        return report(
          at(
            'AUDIT_REORDERED',
            `${file} line ${line} holds entry ${e.seq} where entry ${expected} belongs ` +
              `(entry ${expected} is at ${elsewhere.file} line ${elsewhere.line})`,
            pos,
          ),
          i,
          expected - 1,
        );
      }
      if (e.seq > expected) {
        const range =
          e.seq - 1 === expected ? `entry ${expected} is` : `entries ${expected}..${e.seq - 1} are`;
        return report(
          at('AUDIT_ENTRY_MISSING', `${range} missing (deleted) before ${file} line ${line}`, pos),
          i,
          expected - 1,
        );
      }
      return report(
        at('AUDIT_REORDERED', `${file} line ${line} repeats entry ${e.seq} (expected ${expected})`, pos),
        i,
        expected - 1,
      );
    }
    if (entryHash(e) !== e.hash) {
      return report(
        at('AUDIT_HASH_MISMATCH', `${file} line ${line}: entry ${e.seq} was modified (hash mismatch)`, pos),
        i,
        expected - 1,
      );
    }
    if (e.prev !== prev) {
      return report(
        at(
          'AUDIT_CHAIN_BROKEN',
          `${file} line ${line}: entry ${e.seq} does not follow entry ${e.seq - 1}`,
          pos,
        ),
        i,
        expected - 1,
      );
    }
    if (
      !o.verify(
        o.publicKey,
        AUDIT_SIGNATURE_PURPOSE,
        Buffer.from(e.hash, 'hex'),
        Buffer.from(e.sig, 'base64url'),
      )
    ) {
      return report(
        at('AUDIT_BAD_SIGNATURE', `${file} line ${line}: entry ${e.seq} is not signed by this node`, pos),
        i,
        expected - 1,
      );
    }
    prev = e.hash;
    expected++;
  }
  const lastSeq = expected - 1;

  // 3. The end of the log must be where the writer last left it.
  if (!o.head) {
    if (all.length === 0) return report(null);
    return report(
      at('AUDIT_HEAD_MISSING', 'the sealed head is missing or unreadable: truncation cannot be ruled out', {
        expected: lastSeq + 1,
      }),
      all.length,
      lastSeq,
    );
  }
  const last = all.at(-1);
  if (o.head.seq === lastSeq && o.head.hash !== prev) {
    return report(
      at('AUDIT_TRUNCATED', `the last entry (${lastSeq}) is not the one the writer recorded last`, {
        file: last?.file,
        line: last?.line,
        expected: lastSeq,
        found: lastSeq,
      }),
      all.length,
      lastSeq,
    );
  }
  if (o.head.seq > lastSeq) {
    return report(
      at(
        'AUDIT_TRUNCATED',
        `the log ends at entry ${lastSeq}${last ? ` (${last.file} line ${last.line})` : ''} but ` +
          `${o.head.seq} entries were written: entries ${lastSeq + 1}..${o.head.seq} were cut off`,
        { file: last?.file ?? o.head.file, line: last ? last.line + 1 : 1, expected: lastSeq + 1 },
      ),
      all.length,
      lastSeq,
    );
  }
  return report(null, all.length, lastSeq);
}

function isEntry(e: unknown): e is AuditEntry {
  const x = e as AuditEntry;
  return (
    typeof x === 'object' &&
    x !== null &&
    x.v === 1 &&
    Number.isInteger(x.seq) &&
    typeof x.ts === 'number' &&
    typeof x.event === 'string' &&
    typeof x.source === 'string' &&
    typeof x.data === 'object' &&
    x.data !== null &&
    typeof x.prev === 'string' &&
    typeof x.hash === 'string' &&
    typeof x.sig === 'string'
  );
}

/** Every readable entry with its position, oldest first (for `openred audit show`). */
export async function readEntries(dir: string, key: Buffer): Promise<Located[]> {
  const out: Located[] = [];
  for (const f of await listLogFiles(dir)) {
    const { lines } = await readLines(f.path);
    for (const { n, text } of lines) {
      if (text === '') continue;
      try {
        out.push({ entry: openLine(key, text), file: f.name, line: n });
      } catch {
        // unreadable lines are verify's business
      }
    }
  }
  return out;
}
