import { definePlugin, errors } from '@openred/plugin-sdk';

interface Share {
  file_id: string;
  name: string;
  size: number;
  sha256: string;
  peer: string;
  expires_at: number;
  max_downloads: number;
  downloads: number;
  revoked: boolean;
}

/**
 * File sharing: temporary, revocable links for one peer. Chunked encrypted transfer comes with the sessions
 * layer; this version answers link requests from the persisted share table.
 */
export default definePlugin({
  name: 'file-sharing',
  version: '1.0.0',
  description: 'Share files with peers through temporary links.',
  config: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxFileBytes: { type: 'integer', minimum: 1, default: 1073741824 },
    },
  } as const,
  async setup(ctx) {
    const shares = await ctx.storage.collection<{ shares: Share[] }>('shares', { shares: [] });

    ctx.p2p.post(
      '/file-request',
      {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['file_id'],
          properties: { file_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,64}$' } },
        } as const,
        summary: 'Ask for a file shared with you',
      },
      (req) => {
        const share = shares.data.shares.find((s) => s.file_id === req.body.file_id);
        if (!share || share.peer !== req.peer)
          throw errors.notFound('OR_ERR_FILE_NOT_FOUND', 'no such file for you');
        if (share.revoked) throw errors.gone('OR_ERR_LINK_REVOKED', 'this link was revoked');
        if (share.expires_at <= ctx.clock.now())
          throw errors.gone('OR_ERR_LINK_EXPIRED', 'this link has expired');
        if (share.downloads >= share.max_downloads)
          throw errors.gone('OR_ERR_LINK_EXHAUSTED', 'no downloads left');
        return { file_id: share.file_id, name: share.name, size: share.size, sha256: share.sha256 };
      },
    );

    ctx.api.get('/files', { summary: 'List active shares' }, () => ({ shares: shares.data.shares }));
  },
});
