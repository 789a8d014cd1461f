/**
 * @openred/core — the public surface for embedding OpenRed: build and run nodes and directories in code.
 * Operators use the `openred` CLI and `openred.config.ts`; plugin authors use `@openred/plugin-sdk`.
 */
import 'reflect-metadata';

export { createNode, type CreateNodeOptions } from './kernel/create-node.js';
export { OpenRedNode, type NodeOptions } from './kernel/node.js';
export { ManualClock, systemClock, type Clock } from './kernel/clock.js';
export { createLogger, silentLogger } from './kernel/logger.js';
export { defineConfig, loadConfigFile, resolveConfig } from './config/index.js';
export type { OpenRedConfig, OpenRedUserConfig } from './config/index.js';
export { startDirectory, type RunningDirectory, type DirectoryOptions } from './directory/index.js';
export * from './errors.js';
