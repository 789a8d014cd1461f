import type { OpenRedUserConfig } from './types.js';

/**
 * Typed helper for `openred.config.ts`: gives editor completion and type errors; returns its argument.
 *
 * @example
 * import { defineConfig } from '@openred/core/config';
 * export default defineConfig({ modules: { messaging: { enabled: true } } });
 */
export function defineConfig(config: OpenRedUserConfig): OpenRedUserConfig {
  return config;
}
