import { expect } from 'chai';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../core/kernel/clock.js';
import { pluginSigningInput, verifyPluginSignature } from '../../../core/kernel/plugin-signatures.js';
import {
  AUDIT_SIGNATURE_PURPOSE,
  entryHash,
  genesisHash,
  openHead,
  openLine,
  sealLine,
  type AuditEntry,
} from '../audit/entry.js';
import { listLogFiles } from '../audit/files.js';
import { verifyAuditLog, type VerifyReport } from '../audit/verify.js';
import { AuditWriter } from '../audit/writer.js';

const NODE = 'or' + 'n'.repeat(32);
const keys = generateKeyPairSync('ed25519');
const publicKey = (keys.publicKey.export({ format: 'jwk' }) as { x: string }).x;
const signHash = async (hash: Buffer) =>
  sign(null, pluginSigningInput(AUDIT_SIGNATURE_PURPOSE, hash), keys.privateKey);

describe('monitoring: the audit log (hash chain, signatures, encryption, rotation, tampering)', () => {
  let dir: string;
  let key: Buffer;
  let head: { sealed: string | null };
  const clock = new ManualClock(Date.UTC(2026, 0, 1));

  const openWriter = async (maxFileBytes = 4096) =>
    AuditWriter.open({
      dir,
      key,
      sign: signHash,
      genesis: genesisHash(NODE),
      clock,
      maxFileBytes,
      head: {
        load: () => head.sealed,
        save: async (s) => {
          head.sealed = s;
        },
      },
    });

  const verify = (): Promise<VerifyReport> =>
    verifyAuditLog({
      dir,
      key,
      genesis: genesisHash(NODE),
      publicKey,
      verify: verifyPluginSignature,
      head: head.sealed ? openHead(key, head.sealed) : undefined,
    });

  /** Writes `n` entries (small files: several rotations), closes the writer. */
  const writeEntries = async (n: number, maxFileBytes = 4096) => {
    const { writer } = await openWriter(maxFileBytes);
    for (let i = 1; i <= n; i++) {
      clock.advance(1000);
      await writer.append('auth.login.failed', 'authentication', { attempt: i, reason: 'x'.repeat(200) });
    }
    await writer.close();
  };

  const lines = async (file: string) => (await readFile(join(dir, file), 'utf8')).split('\n').slice(0, -1);
  const writeLines = (file: string, l: string[]) =>
    writeFile(join(dir, file), l.map((x) => x + '\n').join(''));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-audit-'));
    key = randomBytes(32);
    head = { sealed: null };
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('a clean log verifies; the chain runs across rotated files; files are 0600 and unreadable', async () => {
    await writeEntries(30);
    const files = await listLogFiles(dir);
    expect(files.length).to.be.greaterThan(2);
    const report = await verify();
    expect(report).to.include({ ok: true, entries: 30, last_seq: 30, head_seq: 30 });
    expect(report.problem).to.equal(null);
    for (const f of files) expect((await stat(f.path)).mode & 0o777).to.equal(0o600);
    const raw = await readFile(files[0]!.path, 'utf8');
    expect(raw).not.to.include('auth.login.failed'); // encrypted at rest
    // The first entry of the second file points at the last entry of the first.
    const lastOfFirst = openLine(key, (await lines(files[0]!.name)).at(-1)!);
    const firstOfSecond = openLine(key, (await lines(files[1]!.name))[0]!);
    expect(firstOfSecond.prev).to.equal(lastOfFirst.hash);
    expect(firstOfSecond.seq).to.equal(lastOfFirst.seq + 1);
  });

  it('a modified line (ciphertext) is found at its exact position', async () => {
    await writeEntries(10, 1 << 20);
    const l = await lines('audit-000001.log');
    const c = l[4]!;
    l[4] = c.slice(0, 20) + (c[20] === 'A' ? 'B' : 'A') + c.slice(21);
    await writeLines('audit-000001.log', l);
    const r = await verify();
    expect(r.ok).to.equal(false);
    expect(r.problem).to.deep.include({
      code: 'AUDIT_UNREADABLE',
      file: 'audit-000001.log',
      line: 5,
      expected_seq: 5,
    });
  });

  it('an entry re-encrypted with altered content: hash mismatch; with a recomputed hash: bad signature', async () => {
    await writeEntries(10, 1 << 20);
    const l = await lines('audit-000001.log');
    const e = openLine(key, l[6]!);
    const altered: AuditEntry = { ...e, data: { ...e.data, attempt: 999 } };
    l[6] = sealLine(key, altered);
    await writeLines('audit-000001.log', l);
    expect((await verify()).problem).to.deep.include({ code: 'AUDIT_HASH_MISMATCH', line: 7, found_seq: 7 });
    l[6] = sealLine(key, { ...altered, hash: entryHash(altered) });
    await writeLines('audit-000001.log', l);
    // The next entry's `prev` no longer matches either, but the first bad one is this line.
    expect((await verify()).problem).to.deep.include({ code: 'AUDIT_BAD_SIGNATURE', line: 7, found_seq: 7 });
  });

  it('reordered entries: the first misplaced line, and where the expected one went', async () => {
    await writeEntries(10, 1 << 20);
    const l = await lines('audit-000001.log');
    [l[2], l[3]] = [l[3]!, l[2]!];
    await writeLines('audit-000001.log', l);
    const r = await verify();
    expect(r.problem).to.deep.include({
      code: 'AUDIT_REORDERED',
      file: 'audit-000001.log',
      line: 3,
      expected_seq: 3,
      found_seq: 4,
    });
    expect(r.problem!.message).to.include('entry 3 is at audit-000001.log line 4');
  });

  it('a deleted entry: reported where the gap is', async () => {
    await writeEntries(10, 1 << 20);
    const l = await lines('audit-000001.log');
    l.splice(5, 1); // entry 6
    await writeLines('audit-000001.log', l);
    expect((await verify()).problem).to.deep.include({
      code: 'AUDIT_ENTRY_MISSING',
      line: 6,
      expected_seq: 6,
      found_seq: 7,
    });
  });

  it('a truncated log: entries cut off the end are detected by the sealed head', async () => {
    await writeEntries(10, 1 << 20);
    const l = await lines('audit-000001.log');
    await writeLines('audit-000001.log', l.slice(0, 8));
    const r = await verify();
    expect(r.problem).to.deep.include({
      code: 'AUDIT_TRUNCATED',
      file: 'audit-000001.log',
      line: 9,
      expected_seq: 9,
    });
    expect(r.problem!.message).to.include('entries 9..10 were cut off');
  });

  it('a line cut in the middle, and a deleted middle file, are found too', async () => {
    await writeEntries(10, 1 << 20);
    const text = await readFile(join(dir, 'audit-000001.log'), 'utf8');
    await writeFile(join(dir, 'audit-000001.log'), text.slice(0, text.length - 30));
    expect((await verify()).problem).to.deep.include({
      code: 'AUDIT_INCOMPLETE_LINE',
      line: 10,
      expected_seq: 10,
    });

    await rm(dir, { recursive: true, force: true });
    head = { sealed: null };
    await writeEntries(30);
    const files = await listLogFiles(dir);
    await unlink(files[1]!.path);
    expect((await verify()).problem).to.deep.include({ code: 'AUDIT_FILE_MISSING', file: files[1]!.name });
  });

  it('a removed head is reported: truncation could not be ruled out', async () => {
    await writeEntries(3, 1 << 20);
    head.sealed = null;
    expect((await verify()).problem).to.deep.include({ code: 'AUDIT_HEAD_MISSING' });
  });

  it('a writer reopened on a truncated log continues from the head: the gap stays visible', async () => {
    await writeEntries(10, 1 << 20);
    const l = await lines('audit-000001.log');
    await writeLines('audit-000001.log', l.slice(0, 7));
    const { writer, findings } = await openWriter(1 << 20);
    expect(findings.gap).to.deep.equal({ lastEntrySeq: 7, headSeq: 10 });
    const next = await writer.append('audit.opened', 'monitoring', {});
    expect(next.seq).to.equal(11);
    await writer.close();
    expect((await verify()).problem).to.deep.include({
      code: 'AUDIT_ENTRY_MISSING',
      line: 8,
      expected_seq: 8,
      found_seq: 11,
    });
  });

  it('a writer reopened after a crash mid-line ends that line and keeps the chain', async () => {
    await writeEntries(4, 1 << 20);
    await writeFile(
      join(dir, 'audit-000001.log'),
      (await readFile(join(dir, 'audit-000001.log'), 'utf8')) + 'garbage',
    );
    const { writer, findings } = await openWriter(1 << 20);
    expect(findings.partialLine).to.equal('audit-000001.log');
    expect((await writer.append('x', 'y', {})).seq).to.equal(5);
    await writer.close();
    // The broken line is still reported, at its position.
    expect((await verify()).problem).to.deep.include({ code: 'AUDIT_UNREADABLE', line: 5 });
  });

  it("another node's entries do not chain (genesis is per node) and other keys do not verify", async () => {
    await writeEntries(3, 1 << 20);
    const r = await verifyAuditLog({
      dir,
      key,
      genesis: genesisHash('or' + 'x'.repeat(32)),
      publicKey,
      verify: verifyPluginSignature,
      head: openHead(key, head.sealed!),
    });
    expect(r.problem).to.deep.include({ code: 'AUDIT_CHAIN_BROKEN', line: 1 });
    const other = (generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as { x: string }).x;
    const r2 = await verifyAuditLog({
      dir,
      key,
      genesis: genesisHash(NODE),
      publicKey: other,
      verify: verifyPluginSignature,
      head: openHead(key, head.sealed!),
    });
    expect(r2.problem).to.deep.include({ code: 'AUDIT_BAD_SIGNATURE', line: 1 });
  });
});
