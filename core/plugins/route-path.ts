import { PluginError } from '../errors.js';

const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * Checks a plugin route path and returns its first segment. The first segment must be literal (`/files/:id`
 * is fine, `/:id` is not): the dispatcher selects the plugin by that segment before matching, which keeps
 * dispatch cost flat however many plugins are loaded.
 */
export function firstSegmentOf(plugin: string, path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new PluginError(plugin, `route path must start with "/": ${String(path)}`, 'OR_ERR_PLUGIN_ROUTE');
  }
  const first = path.split('/')[1] ?? '';
  if (!SEGMENT.test(first)) {
    throw new PluginError(
      plugin,
      `route ${path}: the first path segment must be a literal (letters, digits, . _ ~ -)`,
      'OR_ERR_PLUGIN_ROUTE',
    );
  }
  return first;
}

/** The first segment of a request path under a surface prefix (`/p2p/message/x` → `message`). */
export function requestSegment(path: string, prefixLength: number): string {
  const end = path.indexOf('/', prefixLength + 1);
  return end === -1 ? path.slice(prefixLength + 1) : path.slice(prefixLength + 1, end);
}
