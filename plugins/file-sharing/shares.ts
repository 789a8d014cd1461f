import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  errors,
  preSealed,
  type Collection,
  type PluginStorage,
  type PreSealedBytes,
} from '@openred/plugin-sdk';
import { LEFTOVER_AGE_MS, type BlobStore } from './blob-store.js';
import { formatLink } from './link.js';
import { NOFOLLOW, resolveShareSource, sanitizeName } from './paths.js';

export interface Transfer {
  id: string;
  started_at: number;
  /** Bytes served under it (kept approximately across restarts). */
  served: number;
  done_at: number | null;
}

export interface Share {
  file_id: string;
  blob: string;
  name: string;
  size: number;
  sha256: string;
  chunk_bytes: number;
  chunk_count: number;
  peer: string;
  created_at: number;
  expires_at: number;
  max_downloads: number;
  downloads: number;
  revoked_at: number | null;
  transfers: Transfer[];
}

export type ShareState = 'active' | 'exhausted' | 'expired' | 'revoked';

export interface ShareView {
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
  state: ShareState;
}

export interface CreateShare {
  path: string;
  to: string;
  expiresInMs: number;
  maxDownloads: number;
  name?: string;
}

/** Finished shares stay listed this long, then their records go. */
const KEEP_ENDED_MS = 7 * 86_400_000;

/**
 * The sharer's side: share records (`shares`), their chunk hashes (`manifest.<file_id>`, one small collection
 * each so the table stays light), the encrypted blobs, and the rules a peer's request must pass: the link
 * exists, was made for this peer, is not revoked, not expired, and (to start a transfer) not used up.
 */
export class Shares {
  readonly #table: Collection<{ shares: Share[] }>;
  readonly #storage: PluginStorage;
  readonly #blobs: BlobStore;
  readonly #nodeId: string;
  /** Bytes of shares being created, per peer, so concurrent shares cannot overrun the quota together. */
  readonly #reserved = new Map<string, number>();

  private constructor(
    table: Collection<{ shares: Share[] }>,
    storage: PluginStorage,
    blobs: BlobStore,
    nodeId: string,
  ) {
    this.#table = table;
    this.#storage = storage;
    this.#blobs = blobs;
    this.#nodeId = nodeId;
  }

  static async open(storage: PluginStorage, blobs: BlobStore, nodeId: string): Promise<Shares> {
    const table = await storage.collection<{ shares: Share[] }>('shares', { shares: [] });
    const shares = new Shares(table, storage, blobs, nodeId);
    // Blobs no share refers to (a crash between writing the blob and the record, or a missed removal).
    const wanted = new Set(table.data.shares.filter((s) => s.revoked_at === null).map((s) => s.blob));
    for (const blob of await blobs.list(LEFTOVER_AGE_MS)) if (!wanted.has(blob)) await blobs.remove(blob);
    return shares;
  }

  async create(
    req: CreateShare,
    opts: { shareDir: string; maxFileBytes: number; peerQuotaBytes: number; chunkBytes: number; now: number },
  ): Promise<ShareView> {
    const source = await resolveShareSource(opts.shareDir, req.path);
    const fh = await open(source, constants.O_RDONLY | NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw errors.badRequest('OR_ERR_NOT_A_FILE', `${req.path} is not a regular file`);
      if (st.size > opts.maxFileBytes) {
        throw errors.tooLarge('OR_ERR_FILE_TOO_LARGE', `files are limited to ${opts.maxFileBytes} bytes`);
      }
      const used = this.#liveBytes(req.to, opts.now) + (this.#reserved.get(req.to) ?? 0);
      if (used + st.size > opts.peerQuotaBytes) {
        throw errors.tooLarge(
          'OR_ERR_QUOTA_EXCEEDED',
          `shares for this peer would hold ${used + st.size} bytes; the quota is ${opts.peerQuotaBytes}`,
        );
      }
      this.#reserved.set(req.to, (this.#reserved.get(req.to) ?? 0) + st.size);
      try {
        const info = await this.#blobs.ingest(fh, opts.chunkBytes, opts.maxFileBytes);
        const share: Share = {
          file_id: randomBytes(18).toString('base64url'),
          blob: info.blob,
          name: sanitizeName(req.name ?? source),
          size: info.size,
          sha256: info.sha256,
          chunk_bytes: info.chunkBytes,
          chunk_count: info.chunks.length,
          peer: req.to,
          created_at: opts.now,
          expires_at: opts.now + req.expiresInMs,
          max_downloads: req.maxDownloads,
          downloads: 0,
          revoked_at: null,
          transfers: [],
        };
        try {
          const manifest = await this.#storage.collection(`manifest.${share.file_id}`, {
            chunks: [] as string[],
          });
          try {
            await manifest.replace({ chunks: info.chunks });
          } finally {
            await manifest.close(); // one manifest per share: not kept in memory between uses
          }
          this.#table.data.shares.push(share);
          await this.#table.commit();
        } catch (err) {
          this.#table.data.shares = this.#table.data.shares.filter((s) => s !== share);
          await this.#blobs.remove(share.blob);
          throw err;
        }
        return this.view(share, opts.now);
      } finally {
        this.#reserved.set(req.to, (this.#reserved.get(req.to) ?? 0) - st.size);
      }
    } finally {
      await fh.close();
    }
  }

  list(now: number): ShareView[] {
    return this.#table.data.shares.map((s) => this.view(s, now));
  }

  /**
   * Revokes a link: its transfers stop at the next chunk, the encrypted copy is deleted. `changed` is false
   * when it was already revoked (revoking is idempotent).
   */
  async revoke(fileId: string, now: number): Promise<{ view: ShareView; changed: boolean }> {
    const share = this.#table.data.shares.find((s) => s.file_id === fileId);
    if (!share) throw errors.notFound('OR_ERR_LINK_UNKNOWN', `no share ${fileId}`);
    const changed = share.revoked_at === null;
    if (changed) {
      share.revoked_at = now;
      await this.#table.commit();
      await this.#blobs.remove(share.blob);
    }
    return { view: this.view(share, now), changed };
  }

  /**
   * The share a peer may use, or the reason it may not. `forTransfer` additionally requires a use left.
   * Order matters: a stranger learns nothing about the link's state.
   */
  check(fileId: string, peer: string, now: number, forTransfer = false): Share {
    const share = this.#table.data.shares.find((s) => s.file_id === fileId);
    if (!share) throw errors.notFound('OR_ERR_LINK_UNKNOWN', 'no such file link');
    if (share.peer !== peer)
      throw errors.forbidden('OR_ERR_LINK_NOT_FOR_YOU', 'this link was made for another node');
    if (share.revoked_at !== null) throw errors.gone('OR_ERR_LINK_REVOKED', 'this link was revoked');
    if (now >= share.expires_at) throw errors.gone('OR_ERR_LINK_EXPIRED', 'this link has expired');
    if (forTransfer && share.downloads >= share.max_downloads) {
      throw errors.gone('OR_ERR_LINK_EXHAUSTED', 'this link has no downloads left');
    }
    return share;
  }

  /** Starts a transfer (one use of the link, on disk before the answer) or resumes one. */
  async transfer(fileId: string, peer: string, resume: string | undefined, now: number) {
    const share = this.check(fileId, peer, now, resume === undefined);
    let t: Transfer | undefined;
    if (resume !== undefined) {
      t = share.transfers.find((x) => x.id === resume);
      if (!t) throw errors.notFound('OR_ERR_TRANSFER_UNKNOWN', 'no such transfer; start a new download');
      if (t.done_at !== null) throw errors.gone('OR_ERR_TRANSFER_DONE', 'this transfer has completed');
    } else {
      t = { id: randomBytes(12).toString('base64url'), started_at: now, served: 0, done_at: null };
      share.transfers.push(t);
      share.downloads++;
      await this.#table.commit();
    }
    const manifest = await this.#storage.collection(`manifest.${share.file_id}`, { chunks: [] as string[] });
    const chunks = manifest.data.chunks;
    await manifest.close(); // read once per transfer; one manifest per share would otherwise stay in memory
    return { share, transfer: t, chunks, key: this.#blobs.keyOf(share.blob) };
  }

  /**
   * One chunk for a running transfer, within the transfer's byte budget, as stored: sealed with the blob's key,
   * which the peer received with the transfer. The session layer adds no second encryption (see preSealed).
   */
  async chunk(
    fileId: string,
    peer: string,
    transferId: string,
    index: number,
    now: number,
  ): Promise<PreSealedBytes> {
    const share = this.check(fileId, peer, now);
    const t = share.transfers.find((x) => x.id === transferId);
    if (!t) throw errors.notFound('OR_ERR_TRANSFER_UNKNOWN', 'no such transfer; start a new download');
    if (t.done_at !== null) throw errors.gone('OR_ERR_TRANSFER_DONE', 'this transfer has completed');
    if (!Number.isInteger(index) || index < 0 || index >= share.chunk_count) {
      throw errors.badRequest('OR_ERR_CHUNK_RANGE', `chunk index must be in [0, ${share.chunk_count})`);
    }
    // Resuming and re-fetching a few corrupted chunks is fine; fetching the file over and over is not.
    if (t.served > 2 * share.size + 64 * share.chunk_bytes) {
      throw errors.tooManyRequests(
        'OR_ERR_TRANSFER_BUDGET',
        'this transfer has fetched too much; start a new one',
      );
    }
    const { bytes, release } = await this.#blobs.readSealed(share.blob, index, share.chunk_bytes, share.size);
    t.served += bytes.length;
    if (index % 64 === 0) void this.#table.commit().catch(() => undefined);
    return preSealed(bytes, { release });
  }

  async done(fileId: string, peer: string, transferId: string, now: number): Promise<void> {
    const share = this.#table.data.shares.find((s) => s.file_id === fileId && s.peer === peer);
    const t = share?.transfers.find((x) => x.id === transferId);
    if (!t) throw errors.notFound('OR_ERR_TRANSFER_UNKNOWN', 'no such transfer');
    if (t.done_at === null) {
      t.done_at = now;
      await this.#table.commit();
    }
  }

  /** Deletes the copies of links that can no longer be used, and forgets long-ended shares. */
  async prune(now: number): Promise<void> {
    let changed = false;
    for (const s of [...this.#table.data.shares]) {
      const ended = s.revoked_at ?? (now >= s.expires_at ? s.expires_at : null);
      if (ended === null) continue;
      if (s.revoked_at === null) {
        // Expired: the blob is no longer served.
        await this.#blobs.remove(s.blob);
      }
      if (now - ended >= KEEP_ENDED_MS) {
        this.#table.data.shares.splice(this.#table.data.shares.indexOf(s), 1);
        await this.#storage.drop(`manifest.${s.file_id}`);
        changed = true;
      }
    }
    if (changed) await this.#table.commit();
  }

  view(s: Share, now: number): ShareView {
    return {
      file_id: s.file_id,
      link: formatLink(this.#nodeId, s.file_id),
      name: s.name,
      size: s.size,
      sha256: s.sha256,
      peer: s.peer,
      created_at: s.created_at,
      expires_at: s.expires_at,
      max_downloads: s.max_downloads,
      downloads: s.downloads,
      state: stateOf(s, now),
    };
  }

  #liveBytes(peer: string, now: number): number {
    return this.#table.data.shares
      .filter((s) => s.peer === peer && s.revoked_at === null && now < s.expires_at)
      .reduce((n, s) => n + s.size, 0);
  }
}

export function stateOf(s: Share, now: number): ShareState {
  if (s.revoked_at !== null) return 'revoked';
  if (now >= s.expires_at) return 'expired';
  if (s.downloads >= s.max_downloads) return 'exhausted';
  return 'active';
}
