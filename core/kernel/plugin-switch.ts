import type Router from '@koa/router';
import type { OpenRedConfig } from '../config/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { jsonBody } from '../http/json-body.js';
import { assertValid } from '../http/validation.js';
import type { PluginHost } from '../plugins/plugin-host.js';

const switchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['enabled'],
  properties: { enabled: { type: 'boolean' } },
} as const;

/**
 * Plugins the owner API cannot switch off: without the authentication module the owner surface fails closed,
 * so nothing could switch it back on.
 */
const ALWAYS_ON = new Set(['authentication']);

/**
 * `POST /api/node/plugins/:name/enabled {enabled}`: enables or disables a known plugin at once, as if
 * `modules.<name>.enabled` had been edited. The change lives in memory: the config file stays as it is, and
 * the next edit of that file (or a restart) applies the file's value again.
 */
export function registerPluginSwitch(
  router: Router,
  node: { config: OpenRedConfig; host: PluginHost },
): void {
  router.post('/node/plugins/:name/enabled', jsonBody({ maxBytes: 1024, maxDepth: 2 }), async (ctx) => {
    const name = String(ctx.params.name);
    const { enabled } = assertValid<{ enabled: boolean }>(switchSchema, ctx.request.body);
    if (!node.host.list().some((p) => p.name === name)) {
      throw new NotFoundError(`no plugin named ${name}`, 'OR_ERR_PLUGIN_UNKNOWN');
    }
    if (!enabled && ALWAYS_ON.has(name)) {
      throw new ConflictError(`${name} cannot be disabled from the owner API`, 'OR_ERR_PLUGIN_REQUIRED');
    }
    node.config.modules = {
      ...node.config.modules,
      [name]: { ...node.config.modules[name], enabled },
    };
    await node.host.applyConfig(node.config);
    ctx.body = node.host.list().find((p) => p.name === name);
  });
}
