export { defineConfig } from './define-config.js';
export { loadConfigFile, resolveConfig } from './load-config.js';
export type { LoadedConfig } from './load-config.js';
export { configSchema } from './schema.js';
export type { OpenRedConfig, OpenRedUserConfig, ModuleConfig, ListenConfig } from './types.js';
