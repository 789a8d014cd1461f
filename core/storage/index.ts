export * from './atomic-file.js';
export * from './durable-json-file.js';
export * from './coalescing-db.js';
export * from './plugin-storage.js';
