import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpMethod, PeerClient, PeerResponse, PluginLogger } from '@openred/plugin-sdk';
import { PluginStorageRoot } from '../../../core/storage/plugin-storage.js';
import { BlobStore } from '../blob-store.js';
import { configSchema, type FileSharingConfig } from '../config.js';
import { DownloadManager, type DownloadView } from '../downloads.js';
import { Shares } from '../shares.js';

const SHARER = 'or' + 'a'.repeat(32);
const GETTER = 'or' + 'b'.repeat(32);
const CHUNK = 16 * 1024;

/**
 * The sharer's real routes behind a fake network: while `cut` is set, the chunk requests in flight are
 * held until `parallel` of them are waiting, then all fail together, as a connection cut fails every
 * request it carried.
 */
class CutNetwork implements PeerClient {
  cut = false;
  cuts = 0;
  #held: Array<() => void> = [];

  constructor(
    private readonly shares: Shares,
    private readonly parallel: number,
  ) {}

  async request<T>(_p: string, _m: HttpMethod, path: string, body?: unknown): Promise<PeerResponse<T>> {
    const b = body as { file_id: string; transfer?: string; index?: number };
    const now = Date.now();
    if (path === '/file-request') {
      const s = this.shares.check(b.file_id, GETTER, now);
      const meta = { ...s, downloads_left: s.max_downloads - s.downloads };
      return { status: 200, body: meta as T };
    }
    if (path === '/file-transfer') {
      const t = await this.shares.transfer(b.file_id, GETTER, b.transfer, now);
      const answer = { transfer: t.transfer.id, chunks: t.chunks, cipher: 'aes-256-gcm', blob: t.share.blob };
      return { status: 200, body: { ...answer, key: t.key.toString('base64url') } as T };
    }
    if (path === '/file-chunk') {
      if (this.cut) {
        await new Promise<void>((resolve) => {
          this.#held.push(resolve);
          if (this.#held.length >= this.parallel) {
            this.cut = false;
            this.cuts++;
            for (const release of this.#held.splice(0)) release();
          }
        });
        throw Object.assign(new Error('peer failed: read ECONNRESET'), { code: 'OR_ERR_PEER_FAILED' });
      }
      const sealed = await this.shares.chunk(b.file_id, GETTER, b.transfer!, b.index!, now);
      return { status: 200, body: sealed.bytes as T };
    }
    return { status: 200, body: { ok: true } as T };
  }

  connect(): never {
    throw new Error('unused');
  }

  sessions() {
    return [];
  }
}

/**
 * One network cut fails every chunk request in flight at once; that is one failure, not `parallel` of them.
 * Counted one by one, a single cut used up the retry budget whenever `parallel` ≥ `maxRetries` and left the
 * download interrupted.
 */
describe('file-sharing: requests failing together count as one failure', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-parallel-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a cut of every request in flight is retried and the download completes', async () => {
    const config = { ...defaults(), parallel: 4, maxRetries: 2, retryBaseMs: 10 } as FileSharingConfig;
    const root = new PluginStorageRoot(join(dir, 'sharer'));
    const blobs = new BlobStore(join(dir, 'sharer', 'blobs'), randomBytes(32));
    await blobs.init();
    const shares = await Shares.open(root.forPlugin('file-sharing'), blobs, SHARER);
    const shareDir = join(dir, 'share');
    await mkdir(shareDir);
    const content = randomBytes(12 * CHUNK);
    await writeFile(join(shareDir, 'f.bin'), content);
    const share = await shares.create(
      { path: 'f.bin', to: GETTER, expiresInMs: 3_600_000, maxDownloads: 1 },
      { shareDir, maxFileBytes: 1 << 30, peerQuotaBytes: 1 << 30, chunkBytes: CHUNK, now: Date.now() },
    );
    const net = new CutNetwork(shares, config.parallel);
    const log: PluginLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => log };
    const downloads = await DownloadManager.open({
      peers: net,
      storage: new PluginStorageRoot(join(dir, 'getter')).forPlugin('file-sharing'),
      clock: { now: () => Date.now() },
      log,
      config,
      nodeId: GETTER,
      downloadDir: join(dir, 'downloads'),
    });
    net.cut = true;
    const out = join(dir, 'out');
    await mkdir(out);
    const started = await downloads.start(share.link, out);
    let view: DownloadView = started;
    for (let i = 0; i < 500 && view.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      view = downloads.get(started.id);
    }
    await downloads.stop();
    await blobs.close();
    expect(net.cuts).to.equal(1);
    expect(view.state, JSON.stringify(view.error)).to.equal('done');
    const got = await readFile(view.target);
    expect(createHash('sha256').update(got).digest('hex')).to.equal(
      createHash('sha256').update(content).digest('hex'),
    );
    // Only the share table stays in memory: the file's manifest was closed after the share and the transfer.
    expect(root.openCount).to.equal(1);
  });
});

function defaults(): FileSharingConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(configSchema.properties)) out[k] = (v as { default: unknown }).default;
  return out as FileSharingConfig;
}
