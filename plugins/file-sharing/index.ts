import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { definePlugin, errors } from '@openred/plugin-sdk';
import { BlobStore } from './blob-store.js';
import { configSchema } from './config.js';
import { DownloadManager } from './downloads.js';
import {
  downloadIdSchema,
  downloadSchema,
  fileChunkSchema,
  fileDoneSchema,
  fileIdParamSchema,
  fileRequestSchema,
  fileTransferSchema,
  shareSchema,
  uploadQuerySchema,
} from './schemas.js';
import { Shares } from './shares.js';
import { receiveUpload } from './upload.js';

export type { ShareView } from './shares.js';
export type { DownloadView, FileMeta } from './downloads.js';

/** One download manager per data folder: a hot-reloaded version takes over from the previous one. */
const active: Map<string, DownloadManager> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('openred.file-sharing.downloads')
] ??= new Map<string, DownloadManager>()) as Map<string, DownloadManager>;

/**
 * File sharing: temporary, revocable links for one peer; files encrypted at rest; chunked, verified and
 * resumable downloads. Peer routes: `POST /p2p/file-request`, `/p2p/file-transfer`, `/p2p/file-chunk`,
 * `/p2p/file-done`. Owner routes under `/api/files`. See docs/modules/file-sharing.md.
 */
export default definePlugin({
  name: 'file-sharing',
  version: '1.1.0',
  description: 'Share files with peers through temporary links; chunked, encrypted, verified, resumable.',
  config: configSchema,
  async setup(ctx) {
    const config = ctx.config;
    const shareDir = resolve(ctx.node.dataDir, config.shareDir);
    const downloadDir = resolve(ctx.node.dataDir, config.downloadDir);
    await mkdir(shareDir, { recursive: true, mode: 0o700 });
    const blobs = new BlobStore(join(ctx.storage.dir, 'blobs'), await ctx.deriveKey('files-at-rest'));
    await blobs.init();
    const shares = await Shares.open(ctx.storage, blobs, ctx.node.id);
    await active.get(ctx.storage.dir)?.stop();
    const downloads = await DownloadManager.open({
      peers: ctx.peers,
      storage: ctx.storage,
      clock: ctx.clock,
      log: ctx.log,
      config,
      nodeId: ctx.node.id,
      downloadDir,
      // Reported for other plugins (the monitoring module's audit log records it).
      onDone: (d) =>
        ctx.events.emit('file.downloaded', {
          download_id: d.id,
          peer: d.peer,
          file_id: d.file_id,
          size: d.size,
          sha256: d.sha256,
        }),
    });
    active.set(ctx.storage.dir, downloads);

    // --- peer routes (the sharing side) ---

    ctx.p2p.post(
      '/file-request',
      { body: fileRequestSchema, summary: 'Metadata of a file shared with you (uses nothing)' },
      (req) => {
        const now = ctx.clock.now();
        const s = shares.check(req.body.file_id, req.peer!, now);
        return {
          file_id: s.file_id,
          name: s.name,
          size: s.size,
          sha256: s.sha256,
          chunk_bytes: s.chunk_bytes,
          chunk_count: s.chunk_count,
          expires_at: s.expires_at,
          downloads_left: Math.max(0, s.max_downloads - s.downloads),
        };
      },
    );

    ctx.p2p.post(
      '/file-transfer',
      { body: fileTransferSchema, summary: 'Start a transfer (one download of the link) or resume one' },
      async (req) => {
        const { share, transfer, chunks, key } = await shares.transfer(
          req.body.file_id,
          req.peer!,
          req.body.transfer,
          ctx.clock.now(),
        );
        // The blob's own key, for this peer only (this answer is sealed by the session): chunks then travel
        // as stored, encrypted once.
        return {
          transfer: transfer.id,
          chunks,
          cipher: 'aes-256-gcm',
          blob: share.blob,
          key: key.toString('base64url'),
        };
      },
    );

    ctx.p2p.post('/file-chunk', { body: fileChunkSchema, summary: 'One chunk of a file (bytes)' }, (req) =>
      shares.chunk(req.body.file_id, req.peer!, req.body.transfer, req.body.index, ctx.clock.now()),
    );

    ctx.p2p.post('/file-done', { body: fileDoneSchema, summary: 'Close a transfer' }, async (req) => {
      await shares.done(req.body.file_id, req.peer!, req.body.transfer, ctx.clock.now());
      return { ok: true };
    });

    // --- owner routes ---

    ctx.api.get('/files', { summary: 'List shares' }, () => ({ shares: shares.list(ctx.clock.now()) }));

    ctx.api.get('/files/settings', { summary: 'Share folder and limits' }, () => ({
      share_dir: shareDir,
      download_dir: downloadDir,
      max_file_bytes: config.maxFileBytes,
      peer_quota_bytes: config.peerQuotaBytes,
    }));

    ctx.api.post(
      '/files/share',
      { body: shareSchema, summary: 'Share a file with one peer' },
      async (req) => {
        const b = req.body;
        if (b.to === ctx.node.id)
          throw errors.badRequest('OR_ERR_SELF', 'cannot share a file with this node');
        const expiresInMs = b.expires_in_ms ?? config.defaultExpiresMs;
        if (expiresInMs > config.maxExpiresMs) {
          throw errors.badRequest('OR_ERR_EXPIRY_TOO_LONG', `links live at most ${config.maxExpiresMs} ms`);
        }
        const view = await shares.create(
          {
            path: b.path,
            to: b.to,
            expiresInMs,
            maxDownloads: b.max_downloads ?? config.defaultMaxDownloads,
            name: b.name,
          },
          {
            shareDir,
            maxFileBytes: config.maxFileBytes,
            peerQuotaBytes: config.peerQuotaBytes,
            chunkBytes: config.chunkBytes,
            now: ctx.clock.now(),
          },
        );
        ctx.events.emit('file.shared', {
          file_id: view.file_id,
          peer: view.peer,
          size: view.size,
          sha256: view.sha256,
          expires_at: view.expires_at,
          max_downloads: view.max_downloads,
        });
        req.status(201);
        return view;
      },
    );

    ctx.api.post(
      '/files/upload',
      { raw: true, query: uploadQuerySchema, summary: 'Put a file into the share folder (raw bytes)' },
      async (req) => {
        const length = req.headers['content-length'];
        const result = await receiveUpload(
          req.koa.req,
          shareDir,
          (req.query as { name: string }).name, // validated by uploadQuerySchema
          config.maxFileBytes,
          typeof length === 'string' ? Number(length) : undefined,
        );
        req.status(201);
        return result;
      },
    );

    ctx.api.delete(
      '/files/:file_id',
      { params: fileIdParamSchema, summary: 'Revoke a link' },
      async (req) => {
        const { view, changed } = await shares.revoke(req.params.file_id, ctx.clock.now());
        if (changed) ctx.events.emit('file.revoked', { file_id: view.file_id, peer: view.peer });
        return view;
      },
    );

    ctx.api.post(
      '/files/download',
      { body: downloadSchema, summary: 'Download a link (answers at once; poll the download)' },
      async (req) => {
        const view = await downloads.start(req.body.link, req.body.path);
        req.status(202);
        return view;
      },
    );

    ctx.api.get('/files/downloads', { summary: 'List downloads' }, () => ({ downloads: downloads.list() }));

    ctx.api.get(
      '/files/downloads/:id',
      { params: downloadIdSchema, summary: 'Progress of a download' },
      (req) => downloads.get(req.params.id),
    );

    ctx.api.delete(
      '/files/downloads/:id',
      { params: downloadIdSchema, summary: 'Cancel a download and remove its temp file' },
      async (req) => downloads.cancel(req.params.id),
    );

    const timer = setInterval(() => {
      shares.prune(ctx.clock.now()).catch((err) => ctx.log.warn({ err: String(err) }, 'share prune failed'));
    }, 60_000);
    timer.unref();

    ctx.onTeardown(async () => {
      clearInterval(timer);
      await blobs.close();
      if (active.get(ctx.storage.dir) === downloads) {
        active.delete(ctx.storage.dir);
        await downloads.stop();
      }
    });
  },
});
