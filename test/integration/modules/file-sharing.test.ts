import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Collection, PluginStorage } from '@openred/plugin-sdk';
import { startCommunity, type Community } from '../../helpers/community.js';
import { pollUntil } from '../../helpers/node-harness.js';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import { nodeFs, type DownloadFs } from '../../../plugins/file-sharing/download-fs.js';
import { DownloadManager, type DownloadView } from '../../../plugins/file-sharing/downloads.js';
import type { ShareView } from '../../../plugins/file-sharing/shares.js';
import { allowAnonymousOwner, api, PLUGINS } from './helpers.js';

const CHUNK = 16384;
const FIXTURES = join(PLUGINS, 'file-sharing', 'test', 'fixtures');
const onlyFileSharing = {
  plugins: { dirs: [PLUGINS], packages: false, hotReload: false },
  modules: {
    authentication: { enabled: false },
    monitoring: { enabled: false },
    messaging: { enabled: false },
    'file-sharing': {
      chunkBytes: CHUNK,
      maxFileBytes: 4 * 1024 * 1024,
      peerQuotaBytes: 6 * 1024 * 1024,
      retryBaseMs: 10,
      maxRetries: 2,
    },
  },
};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
type Err = { error: { code: string; message: string } };

describe('modules: file sharing between nodes (in process)', function () {
  this.timeout(30_000);
  let c: Community;
  let a: OpenRedNode; // shares
  let b: OpenRedNode; // downloads
  let stranger: OpenRedNode;
  let out: string;
  let restoreEnv: () => void;

  const shareDir = (n: OpenRedNode) => join(n.config.node.dataDir, 'share');
  const share = (body: Record<string, unknown>) => api<ShareView & Err>(a, 'POST', '/api/files/share', body);
  const download = (node: OpenRedNode, link: string, path?: string) =>
    api<DownloadView & Err>(node, 'POST', '/api/files/download', { link, ...(path ? { path } : {}) });
  const finished = (node: OpenRedNode, id: string) =>
    pollUntil(
      async () => {
        const d = (await api<DownloadView>(node, 'GET', `/api/files/downloads/${id}`)).json;
        return d.state === 'running' ? undefined : d;
      },
      { what: 'download end', timeoutMs: 20_000 },
    );

  before(async () => {
    restoreEnv = allowAnonymousOwner();
    c = await startCommunity({ nodes: 3, node: onlyFileSharing });
    [a, b, stranger] = c.nodes as [OpenRedNode, OpenRedNode, OpenRedNode];
    out = await mkdtemp(join(tmpdir(), 'openred-downloads-'));
  });

  after(async () => {
    await c?.close();
    await rm(out, { recursive: true, force: true });
    restoreEnv();
  });

  it('shares a file with one peer, who downloads it verified; the link is then used up', async () => {
    const content = randomBytes(3 * CHUNK + 1234);
    await writeFile(join(shareDir(a), 'report.bin'), content);
    const s = await share({ path: 'report.bin', to: b.id, expires_in_ms: 3_600_000 });
    expect(s.status).to.equal(201);
    expect(s.json).to.include({
      name: 'report.bin',
      size: content.length,
      sha256: sha256(content),
      state: 'active',
    });
    expect(s.json.link).to.equal(`openred://${a.id}/file/${s.json.file_id}`);

    const d = await download(b, s.json.link, out);
    expect(d.status, JSON.stringify(d.json)).to.equal(202);
    const done = await finished(b, d.json.id);
    expect(done).to.include({ state: 'done', bytes: content.length, target: join(out, 'report.bin') });
    expect(sha256(await readFile(join(out, 'report.bin')))).to.equal(sha256(content));
    expect((await readdir(out)).filter((f) => f.endsWith('.part'))).to.deep.equal([]);

    const listed = (await api<{ shares: ShareView[] }>(a, 'GET', '/api/files')).json.shares;
    expect(listed.find((x) => x.file_id === s.json.file_id)).to.include({ downloads: 1, state: 'exhausted' });
    const again = await download(b, s.json.link, join(out, 'second.bin'));
    expect(again.status).to.equal(202); // metadata is free; the transfer is refused
    expect((await finished(b, again.json.id)).error?.code).to.equal('OR_ERR_LINK_EXHAUSTED');
  });

  it('reports file.shared, file.downloaded and file.revoked once each, after the fact is stored', async () => {
    const seen: Array<{ node: string; event: string; payload: Record<string, unknown> }> = [];
    const listeners: Array<() => void> = [];
    for (const [name, node] of [
      ['a', a],
      ['b', b],
    ] as const) {
      for (const event of ['file.shared', 'file.downloaded', 'file.revoked']) {
        const fn = (p: unknown) =>
          void seen.push({ node: name, event, payload: p as Record<string, unknown> });
        listeners.push(node.events.on(event, fn));
      }
    }
    try {
      const content = randomBytes(CHUNK + 7);
      await writeFile(join(shareDir(a), 'evented.bin'), content);
      const s = (await share({ path: 'evented.bin', to: b.id, max_downloads: 2 })).json;
      const d = await download(b, s.link, join(out, 'evented.bin'));
      await finished(b, d.json.id);
      expect((await api(a, 'DELETE', `/api/files/${s.file_id}`)).status).to.equal(200);
      expect((await api(a, 'DELETE', `/api/files/${s.file_id}`)).status).to.equal(200); // idempotent
      expect(seen.map((e) => `${e.node}:${e.event}`)).to.deep.equal([
        'a:file.shared',
        'b:file.downloaded',
        'a:file.revoked',
      ]);
      expect(seen[0]!.payload).to.include({ file_id: s.file_id, peer: b.id, size: content.length });
      expect(seen[1]!.payload).to.include({ file_id: s.file_id, peer: a.id, sha256: sha256(content) });
      expect(seen[2]!.payload).to.deep.equal({ file_id: s.file_id, peer: b.id });
    } finally {
      for (const off of listeners) off();
    }
  });

  it('stores shared files encrypted at rest', async () => {
    const marker = Buffer.from('PLAINTEXT-MARKER-'.repeat(2000));
    await writeFile(join(shareDir(a), 'secret.txt'), marker);
    const s = await share({ path: 'secret.txt', to: b.id });
    expect(s.status).to.equal(201);
    const blobs = join(a.config.node.dataDir, 'plugins', 'file-sharing', 'files', 'blobs');
    for (const f of await readdir(blobs)) {
      expect((await readFile(join(blobs, f))).includes('PLAINTEXT-MARKER')).to.equal(false);
    }
  });

  it('a link used by another node, after expiry or after revocation answers a clear error', async () => {
    await writeFile(join(shareDir(a), 'x.bin'), randomBytes(100));
    const s = (await share({ path: 'x.bin', to: b.id, expires_in_ms: 60_000, max_downloads: 5 })).json;
    const other = await download(stranger, s.link, out);
    expect(other.status).to.equal(403);
    expect(other.json.error.code).to.equal('OR_ERR_LINK_NOT_FOR_YOU');

    c.clock.advance(61_000);
    const late = await download(b, s.link, out);
    expect(late.status).to.equal(410);
    expect(late.json.error.code).to.equal('OR_ERR_LINK_EXPIRED');

    const s2 = (await share({ path: 'x.bin', to: b.id })).json;
    const revoked = await api<ShareView>(a, 'DELETE', `/api/files/${s2.file_id}`);
    expect(revoked.json.state).to.equal('revoked');
    const r = await download(b, s2.link, out);
    expect(r.status).to.equal(410);
    expect(r.json.error.code).to.equal('OR_ERR_LINK_REVOKED');

    const unknown = await download(b, `openred://${a.id}/file/${'A'.repeat(24)}`, out);
    expect(unknown.json.error.code).to.equal('OR_ERR_LINK_UNKNOWN');
    const malformed = await download(b, 'https://example.org/file', out);
    expect(malformed.json.error.code).to.equal('OR_ERR_BAD_LINK');
  });

  it('refuses to share anything outside the share folder', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'openred-outside-'));
    try {
      await writeFile(join(outside, 'private.key'), 'secret');
      await mkdir(join(shareDir(a), 'sub'), { recursive: true });
      await symlink(join(outside, 'private.key'), join(shareDir(a), 'link-out'));
      await symlink(outside, join(shareDir(a), 'sub', 'dir-out'));
      await writeFile(join(shareDir(a), 'sub', 'ok.txt'), 'fine');
      await symlink(join(shareDir(a), 'sub', 'ok.txt'), join(shareDir(a), 'link-in'));
      const cases: Array<[string, number, string]> = [
        ['../keys/node.key', 400, 'OR_ERR_PATH_TRAVERSAL'],
        ['sub/../../x', 400, 'OR_ERR_PATH_TRAVERSAL'],
        ['sub\\..\\..\\x', 400, 'OR_ERR_PATH_TRAVERSAL'],
        ['/etc/passwd', 400, 'OR_ERR_PATH_ABSOLUTE'],
        [join(outside, 'private.key'), 400, 'OR_ERR_PATH_ABSOLUTE'],
        ['C:\\Windows\\win.ini', 400, 'OR_ERR_PATH_ABSOLUTE'],
        ['link-out', 403, 'OR_ERR_PATH_OUTSIDE_SHARE'],
        ['sub/dir-out/private.key', 403, 'OR_ERR_PATH_OUTSIDE_SHARE'],
        ['sub', 400, 'OR_ERR_NOT_A_FILE'],
        ['missing.txt', 404, 'OR_ERR_SOURCE_NOT_FOUND'],
        ['a\u0000b', 400, 'OR_ERR_PATH_INVALID'],
        // Found by the fuzz suite: a name longer than the file system allows answered 500.
        ['A'.repeat(1000), 400, 'OR_ERR_PATH_INVALID'],
        ['sub/ok.txt/below', 404, 'OR_ERR_SOURCE_NOT_FOUND'],
      ];
      for (const [path, status, code] of cases) {
        const r = await share({ path, to: b.id });
        expect([r.status, r.json.error?.code], path).to.deep.equal([status, code]);
      }
      expect((await share({ path: 'link-in', to: b.id })).status).to.equal(201);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('enforces the size limit, the per-peer quota and the expiry limit', async () => {
    await writeFile(join(shareDir(a), 'big.bin'), Buffer.alloc(4 * 1024 * 1024 + 1));
    expect((await share({ path: 'big.bin', to: b.id })).json.error.code).to.equal('OR_ERR_FILE_TOO_LARGE');
    await writeFile(join(shareDir(a), 'three.bin'), Buffer.alloc(3 * 1024 * 1024));
    expect((await share({ path: 'three.bin', to: stranger.id })).status).to.equal(201);
    expect((await share({ path: 'three.bin', to: stranger.id })).status).to.equal(201);
    const over = await share({ path: 'three.bin', to: stranger.id });
    expect([over.status, over.json.error.code]).to.deep.equal([413, 'OR_ERR_QUOTA_EXCEEDED']);
    const long = await share({ path: 'three.bin', to: b.id, expires_in_ms: 10 * 365 * 86_400_000 });
    expect(long.json.error.code).to.equal('OR_ERR_EXPIRY_TOO_LONG');
  });

  it('never overwrites: an existing target (file or symlink) is refused before anything is fetched', async () => {
    await writeFile(join(shareDir(a), 'dup.bin'), randomBytes(10));
    const s = (await share({ path: 'dup.bin', to: b.id })).json;
    await writeFile(join(out, 'dup.bin'), 'mine');
    const r = await download(b, s.link, out);
    expect([r.status, r.json.error.code]).to.deep.equal([409, 'OR_ERR_TARGET_EXISTS']);
    await symlink('/etc/hostname', join(out, 'via-link.bin'));
    const l = await download(b, s.link, join(out, 'via-link.bin'));
    expect(l.json.error.code).to.equal('OR_ERR_TARGET_EXISTS');
    expect(await readFile(join(out, 'dup.bin'), 'utf8')).to.equal('mine');
    const rel = await download(b, s.link, 'relative/path');
    expect(rel.json.error.code).to.equal('OR_ERR_TARGET_INVALID');
    const long = await download(b, s.link, join(out, 'B'.repeat(1000)));
    expect([long.status, long.json.error.code]).to.deep.equal([400, 'OR_ERR_TARGET_INVALID']);
    // Nothing was used: the link still has its download.
    const listed = (await api<{ shares: ShareView[] }>(a, 'GET', '/api/files')).json.shares;
    expect(listed.find((x) => x.file_id === s.file_id)!.downloads).to.equal(0);
  });

  describe('a lying sharer', () => {
    let evil: OpenRedNode;
    const link = (kind: string) => `openred://${evil.id}/file/${kind}${'0'.repeat(24 - kind.length)}`;

    before(async () => {
      evil = await c.addNode({
        plugins: { dirs: [FIXTURES], packages: false, hotReload: false },
        modules: {},
      });
    });

    it('a corrupted chunk (bad tag) is fetched again, then the download fails cleanly', async () => {
      const served = (await api<{ served: number }>(evil, 'GET', '/api/evil/served')).json.served;
      const d = await download(b, link('corrupt'), join(out, 'corrupt.bin'));
      const end = await finished(b, d.json.id);
      expect([end.state, end.error?.code]).to.deep.equal(['failed', 'OR_ERR_CHUNK_CORRUPT']);
      expect((await readdir(out)).filter((f) => f.includes('corrupt'))).to.deep.equal([]);
      // The four chunks went out at once; chunk 1 was asked for twice more before giving up.
      const now = (await api<{ served: number }>(evil, 'GET', '/api/evil/served')).json.served;
      expect(now - served).to.equal(4 + 2);
    });

    it('a file whose hash does not match is not published: a wrong announced hash, or a chunk sealed from other bytes', async () => {
      for (const kind of ['badhash', 'wrongdata']) {
        const d = await download(b, link(kind), join(out, `${kind}.bin`));
        const end = await finished(b, d.json.id);
        expect([end.state, end.error?.code], kind).to.deep.equal(['failed', 'OR_ERR_FILE_HASH']);
        expect(
          (await readdir(out)).filter((f) => f.includes(kind)),
          kind,
        ).to.deep.equal([]);
      }
    });

    it('a hostile file name is made safe, and an oversized file is refused up front', async () => {
      const d = await download(b, link('badname'), out);
      const end = await finished(b, d.json.id);
      expect(end.state).to.equal('done');
      expect(end.target).to.equal(join(out, '_hidden'));
      const huge = await download(b, link('huge'), out);
      expect([huge.status, huge.json.error.code]).to.deep.equal([413, 'OR_ERR_FILE_TOO_LARGE']);
    });
  });

  it('a disk that fills up interrupts the download (resumable), without a file under the final name', async () => {
    const content = randomBytes(5 * CHUNK);
    await writeFile(join(shareDir(a), 'fill.bin'), content);
    const s = (await share({ path: 'fill.bin', to: b.id })).json;
    const fullAfter = 2 * CHUNK;
    let written = 0;
    const fullDisk: DownloadFs = {
      ...nodeFs,
      async openTemp(path, create) {
        const fh = await nodeFs.openTemp(path, create);
        return {
          read: (...args) => fh.read(...args),
          truncate: (n) => fh.truncate(n),
          sync: () => fh.sync(),
          close: () => fh.close(),
          async write(buf, off, len, pos) {
            if (written + len > fullAfter)
              throw Object.assign(new Error('no space left'), { code: 'ENOSPC' });
            written += len;
            return fh.write(buf, off, len, pos);
          },
        };
      },
    };
    const storage = memoryStorage();
    const manager = (fs: DownloadFs) =>
      DownloadManager.open({
        peers: b.peers,
        storage,
        clock: c.clock,
        log: silentLog,
        config: { ...defaults, chunkBytes: CHUNK, parallel: 1 },
        nodeId: b.id,
        downloadDir: out,
        fs,
      });
    const first = await manager(fullDisk);
    const d = await first.start(s.link, join(out, 'fill.bin'));
    await pollUntil(() => first.get(d.id).state !== 'running', { what: 'disk full' });
    expect(first.get(d.id)).to.deep.include({
      state: 'interrupted',
      error: {
        code: 'OR_ERR_DISK_FULL',
        message: 'the disk is full; free space and download again to resume',
      },
    });
    expect((await readdir(out)).includes('fill.bin')).to.equal(false);

    // The temp file holds the two chunks written before the disk filled, in order. Damage the second: a
    // resume checks the temp file against the per-chunk SHA-256 list and keeps only the first.
    const part = (await readdir(out)).find((f) => f.startsWith('.fill.bin.') && f.endsWith('.part'))!;
    const temp = await readFile(join(out, part));
    expect(temp.subarray(0, 2 * CHUNK).equals(content.subarray(0, 2 * CHUNK))).to.equal(true);
    temp[CHUNK + 10]! ^= 1;
    await writeFile(join(out, part), temp);

    // Space is back: the same link resumes from the verified chunks, under the same transfer.
    const second = await manager(nodeFs);
    const again = await second.start(s.link, join(out, 'fill.bin'));
    expect(again.id).to.equal(d.id);
    await pollUntil(() => second.get(d.id).state !== 'running', { what: 'resume' });
    expect(second.get(d.id)).to.include({ state: 'done', resumed_from: CHUNK });
    expect(sha256(await readFile(join(out, 'fill.bin')))).to.equal(sha256(content));
    const listed = (await api<{ shares: ShareView[] }>(a, 'GET', '/api/files')).json.shares;
    expect(listed.find((x) => x.file_id === s.file_id)!.downloads).to.equal(1);
  });
});

const defaults = {
  shareDir: 'share',
  downloadDir: 'downloads',
  maxFileBytes: 1024 ** 3,
  peerQuotaBytes: 4 * 1024 ** 3,
  chunkBytes: 524288,
  defaultExpiresMs: 86_400_000,
  maxExpiresMs: 2_592_000_000,
  defaultMaxDownloads: 1,
  parallel: 4,
  chunkTimeoutMs: 20_000,
  maxRetries: 2,
  retryBaseMs: 10,
  maxBytesPerSecond: 0,
};

const silentLog = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLog;
  },
};

/** A PluginStorage kept in memory (the download table only). */
function memoryStorage(): PluginStorage {
  const docs = new Map<string, object>();
  return {
    dir: tmpdir(),
    async collection<T extends object>(name: string, defaults: T): Promise<Collection<T>> {
      if (!docs.has(name)) docs.set(name, structuredClone(defaults));
      return {
        get data() {
          return docs.get(name) as T;
        },
        commit: async () => undefined,
        replace: async (next: T) => void docs.set(name, next),
        close: async () => undefined,
      };
    },
    list: async () => [...docs.keys()],
    drop: async (name) => void docs.delete(name),
  };
}
