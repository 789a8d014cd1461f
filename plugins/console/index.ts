import { definePlugin, errors, type RouteRequest } from '@openred/plugin-sdk';
import { CONSOLE_PATH, ensureBundle } from './bundle.js';
import { loadAssets, type StaticFile } from './static-assets.js';

const route = CONSOLE_PATH.slice('/api'.length);

const assetParamsSchema = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } },
} as const;

/**
 * The web console: a single-page app on the owner surface (`/api/console/`) that uses the documented owner
 * API only, so everything it shows the owner can also get with the CLI. Its files are public (they hold no
 * data; the app asks the owner to log in); every API call it makes carries the owner session.
 * See docs/console.md.
 */
export default definePlugin({
  name: 'console',
  version: '1.0.0',
  description: 'The node web console: peers, messages, files, plugins, health, metrics and the audit log.',
  config: { type: 'object', properties: {}, additionalProperties: false } as const,
  async setup(ctx) {
    const bundle = await ensureBundle();
    if (bundle.built) ctx.log.info({ dir: bundle.dir }, 'console bundle built');
    const files = await loadAssets(bundle);

    const send = (req: RouteRequest, file: StaticFile): Buffer => {
      for (const [name, value] of Object.entries(file.headers)) req.header(name, value);
      return file.body;
    };
    ctx.api.get(route, { public: true, summary: 'The web console (index.html)' }, (req) =>
      send(req, files.index),
    );
    ctx.api.get(
      `${route}/assets/:file`,
      { public: true, params: assetParamsSchema, summary: 'The console’s scripts and styles' },
      (req) => {
        const file = files.asset(req.params.file);
        if (!file) throw errors.notFound('OR_ERR_CONSOLE_ASSET', 'no such console file');
        return send(req, file);
      },
    );
  },
});
